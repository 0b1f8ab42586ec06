
namespace Exchange.Cluster;

/// <summary>
/// One term of this node as the leader: the exchange to run the pipeline on (the committed state as of the term's
/// first entry) and the journal the pipeline journals through. Both are good for this term only: once
/// <see cref="Token"/> is cancelled the journal refuses every commit. A copy (the default) may then hold commands that
/// were never committed and is discarded with the pipeline; the state machine's own exchange (<see cref="SharesState"/>)
/// holds only committed ones (a single-thread pipeline applies after the commit) and is handed back.
/// </summary>
/// <param name="Exchange">The exchange for the pipeline, owned by it from now on.</param>
/// <param name="Journal">The pipeline's journal (<c>PipelineOptions.JournalInstance</c>).</param>
/// <param name="Token">Cancelled when this node stops being the leader.</param>
/// <param name="Term">The Raft term of the leadership.</param>
public sealed record Leadership(Core.Exchange Exchange, RaftJournal Journal, CancellationToken Token, long Term)
{
    /// <summary>Set when the exchange is the state machine's own (<see cref="ClusterNode.TakeOverAsync"/> with
    /// <c>shareState</c>): the pipeline must be stopped and the leadership handed back (<see cref="ClusterNode.HandBack"/>).</summary>
    internal SharedTerm? Shared { get; init; }

    /// <summary>Whether the exchange is the state machine's own, to hand back once the pipeline stopped.</summary>
    public bool SharesState => Shared is not null;
}
