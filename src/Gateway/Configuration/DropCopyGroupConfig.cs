namespace Exchange.Gateway.Configuration;

/// <summary>
/// A drop-copy group (docs/protocol.md section 13): the accounts whose executions are copied, and the users who may
/// read the copy on the drop-copy port (each user in at most one group).
/// </summary>
public sealed record DropCopyGroupConfig
{
    public required string Name { get; init; }
    public List<int> Accounts { get; init; } = [];
    public List<string> Users { get; init; } = [];

    public void Validate(IEnumerable<UserConfig> users)
    {
        if (Name.Length == 0 || !Ascii.IsPrintable(Name)) throw new InvalidDataException("drop-copy group: a printable name is needed");
        if (Accounts.Count == 0 || Accounts.Exists(a => a <= 0))
            throw new InvalidDataException($"drop-copy group '{Name}': accounts must be ids >= 1, at least one");
        foreach (var u in Users)
            if (!users.Any(c => string.Equals(c.Username, u, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidDataException($"drop-copy group '{Name}': no user '{u}'");
    }
}
