using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace Exchange.Cluster;

/// <summary>
/// One node of a Raft-clustered exchange: a Raft member (DotNext's <see cref="RaftCluster"/> over TCP) whose write-ahead
/// log feeds an <see cref="ExchangeStateMachine"/>. The leader appends command batches with
/// <see cref="CommitBatchAsync"/>; every node, the leader included, applies them once a majority holds them.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly RaftCluster _raft;
    private readonly NodeLog _log;
    private readonly byte[] _barrier;
    private int _disposed;
    // The term of this node's latest leadership, recorded as it became the leader (see TakeOverAsync).
    private long _leadershipTerm;

    private ClusterNode(ClusterOptions options, RaftCluster raft, NodeLog log, ExchangeStateMachine machine, byte[] barrier)
    {
        _barrier = barrier;
        Options = options;
        _raft = raft;
        _log = log;
        StateMachine = machine;
    }

    /// <summary>The options the node runs with.</summary>
    public ClusterOptions Options { get; }

    /// <summary>The node's exchange, as the committed log made it.</summary>
    public ExchangeStateMachine StateMachine { get; }

    /// <summary>Whether this node is the leader now (it may learn otherwise at any moment).</summary>
    public bool IsLeader => !_raft.LeadershipToken.IsCancellationRequested;

    /// <summary>Cancelled when this node stops being the leader (or is not one).</summary>
    public CancellationToken LeadershipToken => _raft.LeadershipToken;

    /// <summary>The node's current Raft term.</summary>
    public long Term => _raft.Term;

    /// <summary>The index of the last log entry a majority holds, as this node knows it.</summary>
    public long CommitIndex => _log.LastCommittedEntryIndex;

    /// <summary>
    /// The index of the last log entry this node applied, counting the library's own empty entries (the one each new
    /// leader appends when elected), which the log never hands to the state machine: a node whose last committed entry
    /// is one of them has <see cref="ExchangeStateMachine.AppliedIndex"/> one short of it, with nothing missing.
    /// </summary>
    public long AppliedIndex => _log.LastAppliedIndex;

    /// <summary>The index of the last entry in this node's log (committed or not).</summary>
    public long LastLogIndex => _log.LastEntryIndex;

    /// <summary>The member this node believes leads, or null while there is none (an election is on).</summary>
    public ClusterMember? Leader
    {
        get
        {
            if (_raft.Leader?.EndPoint is not IPEndPoint endPoint)
                return null;
            foreach (var member in Options.Members)
                if (member.RaftEndPoint.Equals(endPoint))
                    return member;
            return null;
        }
    }

    /// <summary>Why this node stopped applying the log (a damaged entry, or a leader with another configuration); null
    /// while it works. A node with a fault must be stopped: it applies nothing more.</summary>
    public Exception? Fault => StateMachine.Fault;

    /// <summary>
    /// Why this node's write-ahead log stopped (its background flusher or its applier failed: a disk error, the
    /// library's flusher fault, an exception of the state machine), or null while it works. A stopped log fails every
    /// later append, commit and read, so the node neither votes nor applies correctly until it is opened again from its
    /// disk; its host restarts it (docs/cluster.md). Also set when <see cref="Fault"/> is (the state machine's exception
    /// stopped the log), which no restart cures.
    /// </summary>
    public Exception? LogFault => _log.Stopped;

    /// <summary>Raised (on a library thread) when the leader changes or is lost; the argument is the new one or null.</summary>
    public event Action<ClusterMember?>? LeaderChanged;

    /// <summary>Raised (on a pool thread) soon after this node was elected, once it may act as the leader
    /// (<see cref="IsLeader"/>: its election's own entry is committed), so a take-over need not poll for it.</summary>
    public event Action? LeadershipReady;

    /// <summary>
    /// Opens (or creates) the node's log and snapshots under <see cref="ClusterOptions.DataDirectory"/>, restores the
    /// exchange from them and joins the cluster.
    /// </summary>
    /// <param name="options">The cluster and this node.</param>
    /// <param name="fresh">Makes a fresh exchange with the cluster's configuration.</param>
    /// <param name="logging">The library's log (null: none).</param>
    /// <param name="applied">Called on the applier after each entry (tests compare state hashes with it).</param>
    /// <param name="output">What the node makes of the committed commands besides its state (the gateway's streams).</param>
    /// <param name="token">Cancels the start.</param>
    /// <exception cref="InvalidDataException">A snapshot is damaged or does not fit the configuration.</exception>
    public static async Task<ClusterNode> StartAsync(ClusterOptions options, Func<Core.Exchange> fresh,
        ILoggerFactory? logging = null, Action<long, Core.Exchange>? applied = null, ICommittedOutput? output = null,
        CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        RaisePoolMinimum(options.MinPoolThreads);
        var fingerprint = ConfigurationFingerprint.Of(fresh(), options.Members);
        var machine = new ExchangeStateMachine(Path.Combine(options.DataDirectory, "snapshots"), fresh,
            options.SnapshotEveryCommands, fingerprint, output) { Applied = applied };
        var log = new NodeLog(new WriteAheadLog.Options
        {
            Location = Path.Combine(options.DataDirectory, "wal"),
            ChunkSize = options.WalChunkBytes,
            // A damaged entry is found when the log is opened, not when a follower applies it.
            HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
            // The log's own metrics (appends, commits, flushes) name the node they come from.
            MeasurementTags = new System.Diagnostics.TagList { { "exchange.cluster.node", options.NodeId } },
            MemoryManagement = options.WalMemory == WalMemory.Private
                ? WriteAheadLog.MemoryManagementStrategy.PrivateMemory
                : WriteAheadLog.MemoryManagementStrategy.SharedMemory,
        }, machine);

        var self = options.Self;
        var configuration = new RaftCluster.TcpConfiguration(self.RaftEndPoint)
        {
            LowerElectionTimeout = options.LowerElectionTimeoutMs,
            UpperElectionTimeout = options.UpperElectionTimeoutMs,
            RequestTimeout = TimeSpan.FromMilliseconds(
                options.RequestTimeoutMs > 0 ? options.RequestTimeoutMs : options.LowerElectionTimeoutMs),
            // The members are fixed by the configuration: no node bootstraps a cluster of its own.
            ColdStart = false,
            ConfigurationStorage = null,
            LoggerFactory = logging,
        };
        var storage = (InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage!;
        var builder = storage.CreateInitialConfigurationBuilder();
        foreach (var member in options.Members)
            builder.Add(member.RaftEndPoint);
        builder.Build();

        var raft = new RaftCluster(configuration) { AuditTrail = log };
        var node = new ClusterNode(options, raft, log, machine, LeadershipBarrier.Payload(fingerprint, output?.SessionProposal ?? 0));
        machine.FreshSnapshotWanted = node.AppendEmptyEntry;
        raft.LeaderChanged += (_, leader) =>
        {
            // Raised inside the library's move to the leader's state, under its transition lock, where the node's term is
            // the new leadership's (a vote or a newer leader's message cannot move it meanwhile).
            if (leader is { IsRemote: false })
            {
                Volatile.Write(ref node._leadershipTerm, raft.Term);
                node.HurryFirstCommit();
            }
            node.LeaderChanged?.Invoke(node.Leader);
        };
        try
        {
            try
            {
                await log.InitializeAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidDataException(
                    $"The write-ahead log in '{Path.Combine(options.DataDirectory, "wal")}' is damaged or does not fit this node " +
                    $"({e.GetType().Name}: {e.Message}). Move it away to have the node rebuilt from the others.", e);
            }
            await raft.StartAsync(token).ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return node;
    }

    // The log's flusher blocks pool threads in synchronous disk writes; with no spare worker the library's hand-offs
    // (the wake of the loop that sends the log to the followers, their send tasks, the applier) wait for those writes (ClusterOptions).
    private static void RaisePoolMinimum(int workers)
    {
        if (workers <= 0)
            return;
        ThreadPool.GetMinThreads(out int current, out int io);
        if (current < workers)
            ThreadPool.SetMinThreads(workers, io);
    }

    /// <summary>
    /// A new leader may act as one (its <see cref="LeadershipToken"/> holds) only once the empty entry it appended on
    /// election is committed. The library's first round after the election asks each follower to append after that entry,
    /// which a follower never has, so the follower refuses and the leader steps back one entry, but sends again only at
    /// its next heartbeat (half the lower election timeout later): every failover waited that long before the take-over
    /// (docs/cluster.md, Tuning). So the new leader asks for the next rounds at once, until its entry is committed or it
    /// is no longer the leader, within one lower election timeout. Raised inside the library's move to the leader's
    /// state: the rounds run on the pool.
    /// </summary>
    private void HurryFirstCommit()
    {
        _ = Task.Run(async () =>
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMilliseconds(Options.LowerElectionTimeoutMs));
            try
            {
                // A round each time: the refused one, then the one that carries the entry (and any a slow follower needs).
                for (var round = 0; round < 16 && !bound.IsCancellationRequested && _raft.LeadershipToken.IsCancellationRequested
                                   && _raft.Leader is { IsRemote: false }; round++)
                    await _raft.ForceReplicationAsync(bound.Token).ConfigureAwait(false);
                if (!_raft.LeadershipToken.IsCancellationRequested)
                    LeadershipReady?.Invoke();
            }
            catch (Exception)
            {
                // No longer the leader, stopping, or a round outlasted the bound: the heartbeats go on as before.
            }
        });
    }

    /// <summary>
    /// Leader only: appends <paramref name="batch"/> (records in the journal's format) as one log entry and completes
    /// once a majority holds it and this node has applied it. Throws <see cref="NotLeaderException"/> (or, with a
    /// leadership token, <see cref="OperationCanceledException"/>) if the node is not the leader or stops being it
    /// first: the entry may then still be committed by the next leader, or dropped.
    /// </summary>
    /// <param name="batch">The batch's bytes; read until the task completes.</param>
    /// <param name="token">Cancels the wait (the entry may still be committed).</param>
    public ValueTask CommitBatchAsync(ReadOnlyMemory<byte> batch, CancellationToken token = default) =>
        _raft.ReplicateAsync(batch, null, token);

    /// <summary>
    /// <see cref="CommitBatchAsync"/> for a leadership's journal: the entry carries the leadership's
    /// <paramref name="term"/> and the term's context (null: none).
    /// </summary>
    /// <remarks>
    /// Not the library's <c>ReplicateAsync(payload, context)</c>, which labels the entry with the node's term as it reads
    /// it then: a node being deposed persists the new term before it leaves the leader's state (and cancels the
    /// leadership), so in that window a batch would be appended as an entry of the next leader's term. A follower then
    /// takes that entry for the new leader's own at the same index and term (the log-matching check passes) and applies
    /// it: commands no leader committed (docs/cluster.md, "Depositions under load").
    /// </remarks>
    internal ValueTask CommitOwnBatchAsync(ReadOnlyMemory<byte> batch, long term, CancellationToken token, SharedTerm? shared) =>
        _raft.ReplicateAsync(new BinaryLogEntry { Content = batch, Term = term, Context = shared }, token);

    /// <summary>Blocks until the commit index reaches the entry being appended for <paramref name="shared"/>, while
    /// <paramref name="leadership"/> holds; returns its index (<see cref="NodeLog.WaitCommitted"/>).</summary>
    internal long WaitCommitted(SharedTerm shared, Task commit, CancellationToken leadership) =>
        _log.WaitCommitted(shared, commit, leadership);

    /// <summary>Wakes a journal in <see cref="WaitCommitted"/> to look at its entry again.</summary>
    internal void WakeJournal() => _log.Wake();

    private int _appendingEmpty;

    // The state machine wants a snapshot newer than the one the leader keeps resending (RaftSnapshot.Resent), and takes
    // it at the next entry it applies; an idle leader has none coming, so it appends one without commands. The entry
    // has an identifier but no payload, so the log hands it to every node's state machine, which applies nothing for it
    // (a leader whose pipeline owns the state records it as applied, and snapshots at its pipeline's next batch end).
    private void AppendEmptyEntry()
    {
        var leadership = _raft.LeadershipToken;
        if (leadership.IsCancellationRequested || Interlocked.Exchange(ref _appendingEmpty, 1) != 0)
            return;
        long term = Volatile.Read(ref _leadershipTerm);
        _ = Task.Run(async () =>
        {
            try
            {
                await _raft.ReplicateAsync(new BinaryLogEntry { Content = ReadOnlyMemory<byte>.Empty, Term = term, CommandId = 0 }, leadership)
                    .ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Deposed or stopping: the next leader starts every follower afresh.
            }
            finally
            {
                Volatile.Write(ref _appendingEmpty, 0);
            }
        });
    }

    /// <summary>
    /// Takes over as the sequencer of this node's leadership: appends an empty entry and waits until it is applied,
    /// so every entry of earlier terms is applied too and the last sequence is final; then returns the exchange as of
    /// that entry and a journal that ships the batches appended to it for as long as this leadership lasts. Null when
    /// this node is not the leader (or stops being it meanwhile).
    /// </summary>
    /// <param name="maxEntryBytes">The largest log entry the journal makes; a larger batch becomes several entries.</param>
    /// <param name="shareState">
    /// False: the exchange is a copy, and the state machine goes on applying every committed entry itself (the leader
    /// applies each command twice; any pipeline topology). True: the exchange is the state machine's own, which leaves
    /// the term's entries to the pipeline and applies each command once (docs/cluster.md, "Applying once on the
    /// leader"). Only for a single-thread pipeline (it applies a batch only after its commit), and the caller must
    /// <see cref="HandBack"/> the leadership once no thread of the pipeline runs.
    /// </param>
    /// <param name="token">Cancels the take-over.</param>
    public async Task<Leadership?> TakeOverAsync(int maxEntryBytes = RaftJournal.DefaultMaxEntryBytes, bool shareState = false,
        CancellationToken token = default)
    {
        if (!shareState && StateMachine.HasOutput)
            throw new InvalidOperationException(
                "A node whose state machine routes its commands (ICommittedOutput) must share its state with a single-thread pipeline: " +
                "a copying leader would route its own term's commands twice.");
        var leadership = _raft.LeadershipToken;
        if (leadership.IsCancellationRequested)
            return null;
        // The leadership's term, not the node's as read now: a node being deposed persists the next term before it leaves
        // the leader's state, so the term read inside that window is the next leader's, and a barrier labelled with it
        // could stand in this node's log for the next leader's entry at the same index (docs/cluster.md). Read after
        // the token: a live token is the latest leadership's, whose term was recorded as it began.
        long term = Volatile.Read(ref _leadershipTerm);
        if (term == 0)
            term = _raft.Term;
        var barrier = new LeadershipBarrier(term, shareState);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(leadership, token);
        try
        {
            // Labelled with the term read once, as the journal's entries are (CommitOwnBatchAsync).
            await _raft.ReplicateAsync(new BinaryLogEntry { Content = _barrier, Term = barrier.Term, Context = barrier }, linked.Token)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException || (e is OperationCanceledException && leadership.IsCancellationRequested))
        {
            StateMachine.Abandon(barrier);
            return null;
        }
        catch
        {
            StateMachine.Abandon(barrier);
            throw;
        }

        if (shareState)
        {
            // No context: the entry was appended in a later term than the one read (this node was deposed meanwhile).
            if (barrier.Shared is not { } shared)
            {
                StateMachine.Abandon(barrier);
                return null;
            }
            var journal = new RaftJournal(this, leadership, barrier.Term, shared.Exchange.LastSequence, maxEntryBytes, shared);
            return new Leadership(shared.Exchange, journal, leadership, barrier.Term) { Shared = shared };
        }

        if (barrier.State is not { } state)
            return null;
        var exchange = StateMachine.Restore(state);
        return new Leadership(exchange, new RaftJournal(this, leadership, barrier.Term, exchange.LastSequence, maxEntryBytes, null), leadership, barrier.Term);
    }

    /// <summary>
    /// Ends a leadership taken with <c>shareState</c>: its pipeline stopped and none of its threads runs, so the
    /// exchange comes back to the state machine, which applies the committed entries the pipeline did not reach and then
    /// the next leader's (docs/cluster.md). Nothing to do for a copying leadership. Call it once the pipeline is stopped,
    /// never while it may still apply a command.
    /// </summary>
    public void HandBack(Leadership leadership)
    {
        ArgumentNullException.ThrowIfNull(leadership);
        if (leadership.Shared is { } shared)
            StateMachine.HandBack(shared);
    }

    /// <summary>Waits until this node knows a leader (itself or another).</summary>
    public async Task<ClusterMember> WaitForLeaderAsync(TimeSpan timeout, CancellationToken token = default)
    {
        var leader = await _raft.WaitForLeaderAsync(timeout, token).ConfigureAwait(false);
        return (leader?.EndPoint is IPEndPoint ? Leader : null)
               ?? throw new TimeoutException($"No leader within {timeout.TotalSeconds:0.#} s.");
    }

    /// <summary>Leaves the cluster, stops the log and waits for a snapshot being written.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            await _raft.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _raft.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
        StateMachine.Dispose();
    }
}
