namespace Exchange.Cluster;

/// <summary>
/// A commit was refused because this node stopped being the leader: the pipeline stops, nothing after the last
/// committed command is acknowledged, and the node goes on as a follower.
/// </summary>
public sealed class LeadershipLostException(string message, Exception inner) : Exception(message, inner);
