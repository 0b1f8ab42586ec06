namespace Exchange.Gateway.Configuration;

internal static class Ascii
{
    public static bool IsPrintable(string s)
    {
        foreach (var c in s)
            if (c is < ' ' or > '~') return false;
        return true;
    }
}
