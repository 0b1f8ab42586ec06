using System.Net;

namespace Exchange.Cluster;

/// <summary>One node of the cluster: its id, where its peers reach it for Raft, and where clients reach its gateway.</summary>
/// <param name="Id">The node's id, unique in the cluster (positive).</param>
/// <param name="RaftEndPoint">The address the node's Raft transport listens on and its peers connect to.</param>
/// <param name="ClientEndPoint">The address of the node's order-entry port, named to a client a follower refuses
/// (null when the node serves no clients, as in tests of the Raft log alone).</param>
public sealed record ClusterMember(int Id, IPEndPoint RaftEndPoint, IPEndPoint? ClientEndPoint = null);
