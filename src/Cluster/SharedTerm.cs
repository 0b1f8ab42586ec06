namespace Exchange.Cluster;

/// <summary>
/// One leadership term in which this node's single-thread pipeline runs on the state machine's own exchange instead of
/// a copy (docs/cluster.md, "Applying once on the leader"). It is also the context the term's journal gives each entry
/// it appends, so the state machine knows its own entries: those it leaves to the pipeline.
/// </summary>
internal sealed class SharedTerm(long term, Core.Exchange exchange)
{
    /// <summary>The Raft term of the leadership.</summary>
    public long Term { get; } = term;

    /// <summary>The state machine's exchange, owned by the pipeline until it is handed back.</summary>
    public Core.Exchange Exchange { get; } = exchange;
}
