namespace Exchange.Gateway;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: exchange <scenario FILE | serve>");
        return args.Length == 0 ? 2 : 0;
    }
}
