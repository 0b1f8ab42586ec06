namespace Exchange.Cluster;

/// <summary>
/// One leadership term in which this node's single-thread pipeline runs on the state machine's own exchange instead of
/// a copy (docs/cluster.md, "Applying once on the leader"). It is also the context the term's journal gives each entry
/// it appends, so the state machine knows its own entries: those it leaves to the pipeline; and the log writes into it
/// the index each such entry was appended at, which the journal's commit waits for (<see cref="NodeLog"/>).
/// </summary>
internal sealed class SharedTerm(long term, Core.Exchange exchange)
{
    private long _pendingIndex;
    private long _pipelineIndex;

    /// <summary>The Raft term of the leadership.</summary>
    public long Term { get; } = term;

    /// <summary>The state machine's exchange, owned by the pipeline until it is handed back.</summary>
    public Core.Exchange Exchange { get; } = exchange;

    /// <summary>The index the journal's entry being committed was appended at; 0 until the log has appended it.</summary>
    public long PendingIndex => Volatile.Read(ref _pendingIndex);

    /// <summary>Before the journal appends its next entry.</summary>
    public void BeginEntry() => Volatile.Write(ref _pendingIndex, 0);

    /// <summary>The log appended the journal's entry at <paramref name="index"/> (on the appending thread).</summary>
    public void Appended(long index) => Volatile.Write(ref _pendingIndex, index);

    /// <summary>The index of the entry that ends the last ring batch the pipeline applied (0: none yet). Entries of the
    /// term through it are the pipeline's, whether or not the applier has recorded them.</summary>
    public long PipelineIndex
    {
        get => Volatile.Read(ref _pipelineIndex);
        set => Volatile.Write(ref _pipelineIndex, value);
    }
}
