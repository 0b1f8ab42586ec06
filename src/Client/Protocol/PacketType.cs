namespace Exchange.Client.Protocol;

/// <summary>SoupBinTCP 3.00 packet types (docs/protocol.md section 1).</summary>
public static class PacketType
{
    public const byte Debug = (byte)'+';
    public const byte LoginAccepted = (byte)'A';
    public const byte LoginRejected = (byte)'J';
    public const byte SequencedData = (byte)'S';
    public const byte ServerHeartbeat = (byte)'H';
    public const byte EndOfSession = (byte)'Z';
    public const byte LoginRequest = (byte)'L';
    public const byte UnsequencedData = (byte)'U';
    public const byte ClientHeartbeat = (byte)'R';
    public const byte LogoutRequest = (byte)'O';

    /// <summary>Login Rejected reason: bad credentials, throttled, or too many sessions.</summary>
    public const byte NotAuthorized = (byte)'A';
    /// <summary>Login Rejected reason: the requested session is not the current one.</summary>
    public const byte SessionNotAvailable = (byte)'S';
    /// <summary>Login Rejected reason: this node of a cluster is not the leader; the Debug packet before names the
    /// leader (<see cref="LeaderRefusal"/>).</summary>
    public const byte NotLeader = (byte)'L';
    /// <summary>Login Rejected reason: the requested sequence number is older than the stream's retention window; the
    /// Debug packet before names the oldest one kept (docs/protocol.md section 8).</summary>
    public const byte SequenceNotRetained = (byte)'R';

    /// <summary>Payload of a Login Request: username 6, password 10, session 10, sequence 20.</summary>
    public const int LoginRequestPayload = 46;
    /// <summary>Payload of Login Accepted: session 10, sequence 20.</summary>
    public const int LoginAcceptedPayload = 30;
}
