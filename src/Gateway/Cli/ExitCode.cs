namespace Exchange.Gateway.Cli;

/// <summary>
/// The exit codes of every <c>exchange</c> command (README, docs/protocol.md section 10). One meaning each, whatever the
/// command: a script can tell "the exchange said no" from "I typed it wrong" from "nothing answered".
/// </summary>
public static class ExitCode
{
    /// <summary>Done: the command did what it was asked (a scenario ran, the server stopped cleanly, an order was accepted).</summary>
    public const int Ok = 0;

    /// <summary>The exchange refused: a <c>J</c> Rejected outcome, or a rejected login.</summary>
    public const int Rejected = 1;

    /// <summary>Bad input on our side: an unknown command or option, a value that does not parse or is out of range, a
    /// malformed scenario file or configuration file. Nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>Could not reach or use a resource: the server is unreachable or stopped answering, the connection
    /// closed, a port is in use, a file or directory cannot be read or written.</summary>
    public const int Unavailable = 3;

    /// <summary>The exchange failed: the server's pipeline failed while running (it stops rather than refuse forever), or
    /// <c>stress</c> found an invariant broken after some shock.</summary>
    public const int Failed = 4;

    /// <summary>A cluster node cannot go on and restarting it will not help: its write-ahead log or snapshot is damaged, or
    /// its configuration differs from the cluster's (the message names the file or the fingerprints). Repair it before
    /// starting it again; a supervisor should not restart it in a loop.</summary>
    public const int NeedsRepair = 5;
}
