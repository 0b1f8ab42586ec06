using Exchange.Core.Commands;
using Exchange.Core.Events;

namespace Exchange.Cluster;

/// <summary>
/// What a node makes of the committed log besides its state: the gateway's streams (docs/cluster.md, "Streams on every
/// node"). The state machine hands it every command it applies with the command's events, on the thread that owns the
/// state; the leader's pipeline routes the commands it applies itself through the same code, so every node writes the
/// same messages after the same log index. A state machine without one (the cluster's own tests) only keeps state.
/// </summary>
public interface ICommittedOutput
{
    /// <summary>At start, once the newest snapshot is loaded: the state is as of command <paramref name="sequence"/>
    /// (0: none), and <paramref name="extra"/> is what <see cref="Capture"/> gave when the snapshot was made (empty
    /// when it has none).</summary>
    void OnStart(long sequence, ReadOnlySpan<byte> extra);

    /// <summary>A committed command the state machine applied, and its events (valid during the call).</summary>
    void OnCommand(in Command command, ReadOnlySpan<Event> events);

    /// <summary>The commands of one committed log entry are applied: the end of a batch.</summary>
    void OnEntryApplied();

    /// <summary>A leader's barrier entry was applied; <paramref name="proposal"/> is the session id it proposes (0: a
    /// barrier written before barriers carried one). The first barrier of a cluster's log fixes its session.</summary>
    void OnBarrier(ulong proposal);

    /// <summary>The leader sent a snapshot and the state jumped to command <paramref name="sequence"/>:
    /// <paramref name="extra"/> is what <see cref="Capture"/> gave on the node that made it.</summary>
    void OnInstalled(long sequence, ReadOnlySpan<byte> extra);

    /// <summary>Awaited before the state machine applies each entry: completes once the output holds what precedes the
    /// state (after a snapshot, the streams' messages it fetches from a peer: docs/cluster.md, "Streams in snapshots"),
    /// so nothing is routed after a gap. Completed at once otherwise.</summary>
    ValueTask CaughtUpAsync(CancellationToken token) => ValueTask.CompletedTask;

    /// <summary>At a snapshot point, on the thread that owns the state (and the output): what a node installing the
    /// snapshot needs to go on from it. Stored with the snapshot.</summary>
    byte[] Capture();

    /// <summary>Any thread: waits (boundedly) until everything the output made for the commands through
    /// <paramref name="sequence"/> is durable, so a snapshot at it may replace the log before it; false if not.</summary>
    bool WaitDurable(long sequence);

    /// <summary>The session id this node proposes in the barrier when it leads (the first committed one wins).</summary>
    ulong SessionProposal { get; }
}
