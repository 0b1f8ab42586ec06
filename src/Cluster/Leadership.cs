
namespace Exchange.Cluster;

/// <summary>
/// One term of this node as the leader: the exchange to run the pipeline on (the committed state as of the term's
/// first entry) and the journal the pipeline journals through. Both are good for this term only: once
/// <see cref="Token"/> is cancelled the journal refuses every commit, and the exchange may hold commands that were
/// never committed, so it is discarded with the pipeline.
/// </summary>
/// <param name="Exchange">The exchange for the pipeline, owned by it from now on.</param>
/// <param name="Journal">The pipeline's journal (<c>PipelineOptions.JournalInstance</c>).</param>
/// <param name="Token">Cancelled when this node stops being the leader.</param>
/// <param name="Term">The Raft term of the leadership.</param>
public sealed record Leadership(Core.Exchange Exchange, RaftJournal Journal, CancellationToken Token, long Term);
