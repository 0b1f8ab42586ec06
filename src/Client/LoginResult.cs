using System.Net;
using Exchange.Client.Protocol;

namespace Exchange.Client;

/// <summary>
/// The server's answer to a login: accepted with the session and the next sequence number, or rejected with the
/// SoupBinTCP reason (<c>A</c> not authorized, <c>S</c> session not available, <c>L</c> not the cluster's leader;
/// <c>\0</c> if the connection closed first).
/// </summary>
public readonly record struct LoginResult(bool Accepted, char RejectReason, string Session, long NextSequence, string? Debug)
{
    /// <summary>Refused by a follower of a cluster: log in to <see cref="Leader"/> instead (or retry while it is null).</summary>
    public bool NotLeader => !Accepted && RejectReason == (char)PacketType.NotLeader;

    /// <summary>The leader a follower's refusal names; null when none is known yet (an election is on).</summary>
    public IPEndPoint? Leader => NotLeader && LeaderRefusal.TryParse(Debug, out var leader) ? leader : null;
}
