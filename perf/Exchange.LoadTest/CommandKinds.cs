namespace Exchange.LoadTest;

/// <summary>Names and count of the <see cref="CommandKind"/>s.</summary>
internal static class CommandKinds
{
    public const int Count = 6;

    public static string Name(CommandKind kind) => kind switch
    {
        CommandKind.Gtc => "GTC place",
        CommandKind.Ioc => "IOC place",
        CommandKind.Cancel => "cancel",
        CommandKind.Move => "move",
        CommandKind.Mark => "mark price",
        CommandKind.Deposit => "deposit",
        _ => kind.ToString(),
    };
}
