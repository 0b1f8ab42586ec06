using System.Net;

namespace Exchange.Client.Protocol;

/// <summary>
/// The Debug text a follower of a cluster sends before Login Rejected <c>L</c> (docs/protocol.md section 1):
/// <c>not leader; leader=HOST:PORT</c>, or <c>not leader; leader=unknown</c> while an election is on.
/// </summary>
public static class LeaderRefusal
{
    private const string Prefix = "not leader; leader=";
    private const string Unknown = "unknown";

    /// <summary>The Debug text naming <paramref name="leader"/> (null: none known yet).</summary>
    public static string Text(IPEndPoint? leader) => Prefix + (leader?.ToString() ?? Unknown);

    /// <summary>The leader a refusal names; false when the text is not a refusal or names none.</summary>
    public static bool TryParse(string? debug, out IPEndPoint? leader)
    {
        leader = null;
        if (debug is null || !debug.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        return IPEndPoint.TryParse(debug.AsSpan(Prefix.Length), out leader);
    }
}
