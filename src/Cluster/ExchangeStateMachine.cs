using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.Cluster;

/// <summary>
/// The exchange as a Raft state machine: every node applies each committed log entry (one batch of commands in the
/// journal's record format) through <see cref="Core.Exchange.Apply"/>, exactly as recovery replays a journal, so every
/// node holds the same state after the same index. Snapshots are the engine's snapshots, keyed by log index; the
/// write-ahead log deletes its entries below the newest one and ships it to a node the log no longer reaches.
/// </summary>
/// <remarks>
/// Implements the library's <see cref="IStateMachine"/> directly: its in-memory base class finishes writing the
/// previous snapshot before it applies the next entry, which stalls the applier for the length of a disk write. Here
/// the applier pauses only to copy the state's raw arrays (on its own thread, between two entries, where the state is
/// consistent: <see cref="SnapshotCodec.Capture"/>, a memory copy); the copy is serialized, and the bytes written,
/// fsynced and renamed into place, on a pool thread, and the snapshot is announced to the log only once it is durable. The write-ahead log calls <see cref="ApplyAsync"/> from one flow at a time: the
/// exchange belongs to that flow.
/// </remarks>
public sealed class ExchangeStateMachine : IStateMachine, IDisposable
{
    private readonly string _directory;
    private readonly Func<Core.Exchange> _fresh;
    private readonly long _snapshotEvery;
    private Core.Exchange _exchange;
    private RaftSnapshot? _snapshot;
    private Task? _pendingSnapshot;
    // The periodic snapshots' captured state and bytes: refilled only once _pendingSnapshot, which reads them, is done.
    private readonly SnapshotBuffer _buffer = new();
    private byte[] _copy = new byte[64 * JournalBatch.RecordSize];
    private long _appliedIndex;
    private long _lastSequence;
    private long _sinceSnapshot;
    private int _installed;
    private volatile Exception? _snapshotFault;
    // The newest snapshot was sent again: a follower may have installed it without the leader hearing so, and then
    // rejects it for good; a newer snapshot (taken at the next entry or batch end) is what moves it on.
    private volatile bool _freshWanted;
    private int _resent;
    private volatile Exception? _fault;
    private readonly ulong? _fingerprint;
    private readonly ICommittedOutput? _output;

    // Applying once on the leader (docs/cluster.md): while this node's single-thread pipeline owns the exchange, the
    // entries its journal wrote are recorded here instead of applied; _sync guards these fields.
    private readonly object _sync = new();
    private SharedTerm? _shared;
    private readonly List<OwnEntry> _kept = [];
    private TaskCompletionSource? _handedBack;
    private long _commandsApplied;
    private long _entriesLeftToPipeline;
    // The last shared term handed back, and the index of the entry that ended its pipeline's last applied ring batch:
    // entries of that term through it are already in the exchange (the journal's commit returns at the commit index,
    // so the pipeline may apply an entry before the applier reaches it) and the applier skips them.
    private long _handedBackTerm;
    private long _handedBackThrough;

    // Set by the applier each time it records an entry of a shared term (PipelineApplied waits on it).
    private readonly ManualResetEventSlim _recorded = new(false, spinCount: 1);

    private readonly record struct OwnEntry(long Index, long Term, long LastSequence, byte[] Buffer, int Length);

    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Shared;

    /// <summary>Makes a fresh exchange with the cluster's configuration and loads <paramref name="state"/> into it.</summary>
    /// <exception cref="InvalidDataException">The state is damaged or does not fit the configuration.</exception>
    internal Core.Exchange Restore(byte[] state) => Load(state, "the state copied at the leadership barrier").Exchange;

    /// <summary>Restores the newest snapshot in <paramref name="snapshotDirectory"/>, if any.</summary>
    /// <param name="snapshotDirectory">Where this node's snapshots live.</param>
    /// <param name="fresh">Makes a fresh exchange with the cluster's configuration (options, instruments in order).</param>
    /// <param name="snapshotEveryCommands">A snapshot is taken once this many commands were applied since the last.</param>
    /// <param name="fingerprint">This node's <see cref="ConfigurationFingerprint"/>: a barrier entry written by a
    /// leader with another one stops the state machine (null: not checked).</param>
    /// <param name="output">Gets every command this state machine applies, with its events (null: none).</param>
    /// <exception cref="InvalidDataException">The newest snapshot is damaged or does not fit the configuration: the
    /// log below it is gone, so no older state would do.</exception>
    public ExchangeStateMachine(string snapshotDirectory, Func<Core.Exchange> fresh, long snapshotEveryCommands,
        ulong? fingerprint = null, ICommittedOutput? output = null)
    {
        _fingerprint = fingerprint;
        _output = output;
        ArgumentException.ThrowIfNullOrEmpty(snapshotDirectory);
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapshotEveryCommands);
        _directory = snapshotDirectory;
        _fresh = fresh;
        _snapshotEvery = snapshotEveryCommands;
        Directory.CreateDirectory(snapshotDirectory);
        _exchange = Fresh();
        var snapshots = RaftSnapshot.List(snapshotDirectory);
        var extra = ReadOnlyMemory<byte>.Empty;
        if (snapshots.Count > 0)
        {
            var newest = snapshots[0];
            (_exchange, extra) = Load(File.ReadAllBytes(newest.Path), newest.Path);
            _snapshot = newest;
            newest.Resent = OnSnapshotResent;
            _appliedIndex = newest.Index;
            _lastSequence = _exchange.LastSequence;
        }
        output?.OnStart(_exchange.LastSequence, extra.Span);
    }

    /// <summary>Whether an <see cref="ICommittedOutput"/> gets the applied commands.</summary>
    public bool HasOutput => _output is not null;

    /// <summary>Snapshots not announced because the output could not make its streams durable through them in time
    /// (<see cref="ICommittedOutput.WaitDurable"/>): the log before them is kept until a later one is.</summary>
    public int SnapshotsSkipped => Volatile.Read(ref _skipped);

    private int _skipped;

    /// <summary>How many times this node, leading, sent its newest snapshot again (each makes the next snapshot due at
    /// once: see <see cref="RaftSnapshot.Resent"/>).</summary>
    public int SnapshotsResent => Volatile.Read(ref _resent);

    private void OnSnapshotResent()
    {
        Interlocked.Increment(ref _resent);
        _freshWanted = true;
        FreshSnapshotWanted?.Invoke();
    }

    /// <summary>Called (on the library thread that sends the leader's log to a follower) when a newer snapshot is wanted
    /// at the next entry: an idle leader appends an entry without commands for it (<see cref="ClusterNode"/>).</summary>
    internal Action? FreshSnapshotWanted { get; set; }

    // Whether a snapshot is due after the entry at index: enough commands since the last, or a newer one wanted because
    // the newest was sent again; and none being written.
    private bool SnapshotDue(long index) =>
        (_sinceSnapshot >= _snapshotEvery || (_freshWanted && index > (Volatile.Read(ref _snapshot)?.Index ?? 0)))
        && _pendingSnapshot is not { IsCompleted: false };

    /// <summary>The exchange as the committed log made it. It belongs to the log's applier: read it only once the node
    /// is stopped (or from <see cref="Applied"/>).</summary>
    public Core.Exchange Exchange => _exchange;

    /// <summary>The index of the last log entry applied.</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    /// <summary>The sequence of the last command applied: the leader's sequencer continues from it.</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>How many snapshots the leader sent this node because its log no longer reached back far enough.</summary>
    public int SnapshotsInstalled => Volatile.Read(ref _installed);

    /// <summary>How many commands this state machine applied itself. A leader whose pipeline shares its exchange
    /// applies none of its own term's commands here: the pipeline applied them (docs/cluster.md).</summary>
    public long CommandsApplied => Interlocked.Read(ref _commandsApplied);

    /// <summary>How many committed entries of this node's own terms were left to its pipeline instead of applied here.</summary>
    public long EntriesLeftToPipeline => Interlocked.Read(ref _entriesLeftToPipeline);

    /// <summary>Whether this node's pipeline owns the exchange now (it leads, and has not handed the exchange back).</summary>
    public bool SharesState => Volatile.Read(ref _shared) is not null;

    /// <summary>
    /// Why the state machine stopped applying: a committed entry that is not a valid command batch, or a barrier of a
    /// leader whose configuration differs from this node's. Nothing is applied after it; the node must be stopped and
    /// repaired (its host stops on it).
    /// </summary>
    public Exception? Fault => _fault;

    /// <summary>The last failure to write a snapshot (the node goes on: the log still holds everything).</summary>
    public Exception? SnapshotFault => _snapshotFault;

    /// <summary>
    /// Called on the applier after each entry with its index and the exchange (tests compare state hashes with it).
    /// Set before the node starts.
    /// </summary>
    public Action<long, Core.Exchange>? Applied { get; init; }

    /// <inheritdoc/>
    public ISnapshot? Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>How long the last snapshot paused the thread that took it (the applier, or the leader's pipeline):
    /// the state's raw copy and the streams' counts; serializing and writing happen on a pool thread.</summary>
    public TimeSpan LastSnapshotPause => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _lastSnapshotPause));

    /// <summary>The longest such pause since this state machine started.</summary>
    public TimeSpan MaxSnapshotPause => System.Diagnostics.Stopwatch.GetElapsedTime(0, Volatile.Read(ref _maxSnapshotPause));

    private long _lastSnapshotPause, _maxSnapshotPause;

    /// <summary>A test hook: called on the pool thread with the snapshot's index before its captured state is
    /// serialized (a test delays it to apply commands meanwhile).</summary>
    internal Action<long>? BeforeSnapshotWrite { get; set; }

    /// <summary>
    /// A test hook: called on the log's applier with each entry's index before the entry is applied or recorded,
    /// leader and follower alike. What it throws leaves <see cref="ApplyAsync"/> as an applier's failure would, and
    /// the library's log stops (docs/cluster.md, "A node whose log has stopped restarts itself").
    /// </summary>
    internal Action<long>? BeforeApply { get; set; }

    /// <inheritdoc/>
    public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (_fault is { } fault)
            throw new InvalidOperationException("The state machine stopped: " + fault.Message, fault);
        if (entry.Index <= _appliedIndex)
            return _appliedIndex;
        BeforeApply?.Invoke(entry.Index);
        // Streams still being filled from a peer after a snapshot: nothing is routed after the gap until they hold it.
        if (_output is not null)
            await _output.CaughtUpAsync(token).ConfigureAwait(false);
        // While the pipeline owns the exchange, this node's own entries are only recorded; anything else (the next
        // leader's entries, a snapshot it sends) waits until the deposed pipeline hands the exchange back.
        while (Volatile.Read(ref _shared) is not null)
        {
            Task handedBack;
            lock (_sync)
            {
                if (_shared is not { } shared)
                    break;
                if (TryKeep(entry, shared))
                    return entry.Index;
                handedBack = _handedBack!.Task;
            }

            await handedBack.WaitAsync(token).ConfigureAwait(false);
        }

        // An entry of a term whose pipeline applied it before this applier reached it, handed back since: already in the
        // exchange, which is past it (no hash or snapshot at its index).
        if (!entry.IsSnapshot && entry.Term == Volatile.Read(ref _handedBackTerm) && entry.Index <= Volatile.Read(ref _handedBackThrough))
        {
            if (entry.Context is SharedTerm && entry.TryGetPayload(out var own) && !own.IsEmpty)
                Interlocked.Increment(ref _entriesLeftToPipeline);
            Volatile.Write(ref _appliedIndex, entry.Index);
            return entry.Index;
        }

        try
        {
            if (entry.IsSnapshot)
            {
                await InstallAsync(entry, token).ConfigureAwait(false);
            }
            else if (!entry.TryGetPayload(out var payload))
            {
                // The write-ahead log gives a payload to every entry that is not a snapshot: skipping one silently
                // would leave this node's state behind the others' for good.
                ThrowDamaged(entry.Index, "the log gave no payload for an entry that is not a snapshot");
            }
            else if (payload.Length is 1 or LeadershipBarrier.Length or LeadershipBarrier.LengthWithSession)
            {
                var proposal = CheckBarrier(in payload, entry.Index);
                _output?.OnBarrier(proposal);
                // Only the leader that wrote it has the context; for the others the barrier carries no commands.
                if (entry.Context is LeadershipBarrier barrier && barrier.Term == entry.Term)
                    TakeOver(barrier);
            }
            else if (!payload.IsEmpty)
            {
                int count = ApplyBatch(in payload, entry.Index, _exchange);
                _output?.OnEntryApplied();
                _sinceSnapshot += count;
                Interlocked.Add(ref _commandsApplied, count);
            }
        }
        catch (InvalidDataException e)
        {
            _fault = e;
            throw;
        }

        Applied?.Invoke(entry.Index, _exchange);
        Volatile.Write(ref _lastSequence, _exchange.LastSequence);
        Volatile.Write(ref _appliedIndex, entry.Index);
        if (!entry.IsSnapshot && SnapshotDue(entry.Index))
            TakeSnapshot(entry.Index, entry.Term, _exchange);
        return entry.Index;
    }

    // The barrier of a leadership applied on this node: copy the state (the pipeline runs on the copy and this state
    // machine goes on applying every entry), or hand the state machine's own exchange to the pipeline.
    private void TakeOver(LeadershipBarrier barrier)
    {
        if (!barrier.ShareState)
        {
            barrier.State = SnapshotCodec.Write(_exchange);
            return;
        }

        lock (_sync)
        {
            if (barrier.Abandoned)
                return;
            _shared = new SharedTerm(barrier.Term, _exchange);
            _handedBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            barrier.Shared = _shared;
        }
    }

    /// <summary>
    /// While the pipeline owns the exchange (under <see cref="_sync"/>): records an entry this node's journal wrote in
    /// the shared term instead of applying it (the pipeline applies its commands: the journal's commit returns at the
    /// commit index, so the pipeline may have applied them already). False for an entry of another term (the next leader's; wait for the
    /// hand-back). An entry of the shared term the journal did not write stops the state machine.
    /// </summary>
    private bool TryKeep(LogEntry entry, SharedTerm shared)
    {
        if (entry.Term != shared.Term || entry.IsSnapshot)
            return false;
        if (!entry.TryGetPayload(out var payload))
            Fail(entry.Index, "the log gave no payload for an entry that is not a snapshot");
        if (entry.Context != shared)
        {
            if (!payload.IsEmpty)
                Fail(entry.Index, $"an entry of term {shared.Term}, in which this node's pipeline owns the state, that its journal did not write");
            Volatile.Write(ref _appliedIndex, entry.Index);
            _recorded.Set();
            return true;
        }

        int length = (int)payload.Length;
        if (length == 0 || length % JournalBatch.RecordSize != 0)
            Fail(entry.Index, $"{length} bytes is not a whole, non-empty number of records");
        var buffer = Buffers.Rent(length);
        payload.CopyTo(buffer);
        if (!JournalBatch.TryRead(buffer.AsSpan(length - JournalBatch.RecordSize, JournalBatch.RecordSize), out Command last))
            Fail(entry.Index, "its last record fails its checksum");
        _kept.Add(new OwnEntry(entry.Index, entry.Term, last.Sequence, buffer, length));
        _sinceSnapshot += length / JournalBatch.RecordSize;
        Interlocked.Increment(ref _entriesLeftToPipeline);
        Volatile.Write(ref _lastSequence, last.Sequence);
        Volatile.Write(ref _appliedIndex, entry.Index);
        _recorded.Set();
        return true;
    }

    /// <summary>
    /// On the pipeline's thread, between two ring batches: the pipeline applied every command through
    /// <paramref name="sequence"/>, the last of the committed entry at <paramref name="index"/>, and its exchange is the
    /// state after that entry. The kept entries through it are forgotten. The journal's commit returns at the commit
    /// index, so the applier may not have recorded that entry yet: only once it has (its applied index is at or past
    /// <paramref name="index"/>) is a due snapshot captured here (the state is consistent only on this thread, now;
    /// serialized and written on a pool thread, and the log compacted below it only once the applier is past it) and the
    /// <see cref="Applied"/> hook given the state; otherwise a due snapshot waits for a later batch end.
    /// </summary>
    internal void PipelineApplied(SharedTerm shared, long sequence, long index)
    {
        // The applier records the entry soon after its commit (a hop on the library's side); wait for it, so the hook
        // and a due snapshot see every batch end. Bounded: a node being stopped may never get there.
        if (Volatile.Read(ref _appliedIndex) < index)
        {
            var deadline = Environment.TickCount64 + 1000;
            while (Volatile.Read(ref _appliedIndex) < index && _fault is null && Environment.TickCount64 < deadline)
            {
                _recorded.Reset();
                if (Volatile.Read(ref _appliedIndex) >= index)
                    break;
                _recorded.Wait(10);
            }
        }

        bool snapshot, reached;
        lock (_sync)
        {
            if (_shared != shared)
                return;
            shared.PipelineIndex = index;
            int n = 0;
            for (; n < _kept.Count && _kept[n].LastSequence <= sequence; n++)
                Buffers.Return(_kept[n].Buffer);
            _kept.RemoveRange(0, n);
            reached = Volatile.Read(ref _appliedIndex) >= index;
            snapshot = reached && SnapshotDue(index);
            if (snapshot)
                _sinceSnapshot = 0;
        }

        if (!reached)
            return;
        Applied?.Invoke(index, shared.Exchange);
        if (snapshot)
            TakeSnapshot(index, shared.Term, shared.Exchange);
    }

    /// <summary>
    /// The pipeline that owned the exchange stopped (its node was deposed, or is stopping) and no thread of it runs:
    /// the exchange comes back to the state machine. Its commands were all committed (the single-thread pipeline
    /// applies a batch only after its commit), but committed entries may lie beyond them (a batch split into several
    /// entries and deposed between them, or a commit the old leader did not see confirmed): every kept record after the
    /// exchange's last sequence is applied now, then the applier goes on with the next leader's entries.
    /// </summary>
    internal void HandBack(SharedTerm shared)
    {
        lock (_sync)
        {
            if (_shared != shared)
                return;
            var exchange = shared.Exchange;
            try
            {
                foreach (var kept in _kept)
                {
                    var records = kept.Buffer.AsSpan(0, kept.Length);
                    int applied = 0;
                    for (int i = 0; i < records.Length; i += JournalBatch.RecordSize)
                    {
                        if (!JournalBatch.TryRead(records.Slice(i), out Command command))
                            Fail(kept.Index, $"record {i / JournalBatch.RecordSize} fails its checksum");
                        if (command.Sequence <= exchange.LastSequence)
                            continue;
                        var events = exchange.Apply(in command);
                        _output?.OnCommand(in command, events);
                        applied++;
                    }

                    if (applied > 0)
                        _output?.OnEntryApplied();
                    Interlocked.Add(ref _commandsApplied, applied);
                    if (applied > 0)
                        Applied?.Invoke(kept.Index, exchange);
                }
            }
            finally
            {
                foreach (var kept in _kept)
                    Buffers.Return(kept.Buffer);
                _kept.Clear();
                _exchange = exchange;
                Volatile.Write(ref _lastSequence, exchange.LastSequence);
                Volatile.Write(ref _handedBackTerm, shared.Term);
                Volatile.Write(ref _handedBackThrough, shared.PipelineIndex);
                Volatile.Write(ref _shared, null);
                _handedBack!.TrySetResult();
            }
        }
    }

    /// <summary>A take-over gave up (deposed, or cancelled): a barrier applied later must not hand the state to a pipeline
    /// that never runs; one applied already is handed back at once (no pipeline touched it).</summary>
    internal void Abandon(LeadershipBarrier barrier)
    {
        SharedTerm? shared;
        lock (_sync)
        {
            barrier.Abandoned = true;
            shared = barrier.Shared;
        }

        if (shared is not null)
            HandBack(shared);
    }

    [DoesNotReturn]
    private void Fail(long index, string why)
    {
        var fault = new InvalidDataException($"The Raft log entry at index {index} is not a valid command batch: {why}.");
        _fault = fault;
        throw fault;
    }

    /// <inheritdoc/>
    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token)
    {
        foreach (var old in RaftSnapshot.List(_directory))
        {
            if (old.Index < watermark)
                File.Delete(old.Path);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Waits for a snapshot being written.</summary>
    public void Dispose() => _pendingSnapshot?.Wait(TimeSpan.FromSeconds(30));

    // Returns the session id the barrier proposes (0: none).
    private ulong CheckBarrier(in ReadOnlySequence<byte> payload, long index)
    {
        Span<byte> bytes = stackalloc byte[LeadershipBarrier.LengthWithSession];
        payload.CopyTo(bytes);
        if (bytes[0] != LeadershipBarrier.Marker)
            ThrowDamaged(index, "a barrier entry that does not start with the barrier's marker");
        ulong proposal = payload.Length == LeadershipBarrier.LengthWithSession
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[LeadershipBarrier.Length..])
            : 0;
        // A one-byte barrier predates the fingerprint: nothing to compare.
        if (payload.Length == 1 || _fingerprint is not { } own)
            return proposal;
        ulong leader = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]);
        if (leader != own)
            throw new InvalidDataException(
                $"The leader that wrote log index {index} runs another configuration than this node (fingerprint {leader:x16}, " +
                $"this node's {own:x16}: the exchange's options, its instruments, or the cluster's members differ). Every node of " +
                "a cluster must run the same configuration: this node applies nothing more.");
        return proposal;
    }

    private int ApplyBatch(in ReadOnlySequence<byte> payload, long index, Core.Exchange exchange)
    {
        long length = payload.Length;
        if (length % JournalBatch.RecordSize != 0)
            ThrowDamaged(index, $"{length} bytes is not a whole number of records");
        ReadOnlySpan<byte> records;
        if (payload.IsSingleSegment)
        {
            records = payload.FirstSpan;
        }
        else
        {
            if (_copy.Length < length)
                _copy = new byte[length];
            payload.CopyTo(_copy);
            records = _copy.AsSpan(0, (int)length);
        }

        int count = records.Length / JournalBatch.RecordSize;
        for (int i = 0; i < count; i++)
        {
            if (!JournalBatch.TryRead(records.Slice(i * JournalBatch.RecordSize), out Command command))
                ThrowDamaged(index, $"record {i} fails its checksum");
            // Increasing, not contiguous: book queries take sequences in the leader's pipeline and are never journaled.
            if (command.Sequence <= exchange.LastSequence)
                ThrowDamaged(index, $"command sequence {command.Sequence} does not follow {exchange.LastSequence}");
            var events = exchange.Apply(in command);
            _output?.OnCommand(in command, events);
        }

        return count;
    }

    private async ValueTask InstallAsync(LogEntry entry, CancellationToken token)
    {
        // A snapshot still being written is older than this one: let it finish so it cannot replace this one after.
        if (_pendingSnapshot is { } pending)
            await pending.ConfigureAwait(false);
        var bytes = await entry.ToByteArrayAsync(token: token).ConfigureAwait(false);
        var path = Path.Combine(_directory, RaftSnapshot.FileName(entry.Index, entry.Term));
        (_exchange, var extra) = Load(bytes, $"the snapshot at log index {entry.Index} sent by the leader");
        _output?.OnInstalled(_exchange.LastSequence, extra.Span);
        WriteDurably(path, bytes);
        Publish(new RaftSnapshot(path, entry.Index, entry.Term, bytes.Length));
        _sinceSnapshot = 0;
        Interlocked.Increment(ref _installed);
    }

    // Called only with no snapshot pending (SnapshotDue), by the exchange's owner (the applier, or the pipeline while it
    // shares the exchange): the buffer's image is free to refill. On this thread only the raw state is copied (a memory
    // copy, SnapshotCodec.Capture); the pool thread serializes the copy, then writes, fsyncs, renames and announces it.
    private void TakeSnapshot(long index, long term, Core.Exchange exchange)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        SnapshotCodec.Capture(exchange, _buffer);
        // The output's streams at this point travel with the snapshot (what a node installing it goes on from).
        byte[]? extra = _output?.Capture();
        long pause = System.Diagnostics.Stopwatch.GetTimestamp() - started;
        Volatile.Write(ref _lastSnapshotPause, pause);
        if (pause > _maxSnapshotPause)
            Volatile.Write(ref _maxSnapshotPause, pause);
        long sequence = exchange.LastSequence;
        _sinceSnapshot = 0;
        _freshWanted = false;
        var path = Path.Combine(_directory, RaftSnapshot.FileName(index, term));
        var buffer = _buffer;
        _pendingSnapshot = Task.Run(() =>
        {
            try
            {
                BeforeSnapshotWrite?.Invoke(index);
                SnapshotCodec.WriteCaptured(buffer);
                byte[] bytes = RaftSnapshot.Pack(buffer.Written, extra);
                // The log before the snapshot goes once it is announced: the streams must not need it any more (a
                // restart re-derives their unwritten tail from the state at their written-through mark).
                if (_output is not null && !_output.WaitDurable(sequence))
                {
                    Interlocked.Increment(ref _skipped);
                    return;
                }
                WriteDurably(path, bytes);
                Publish(new RaftSnapshot(path, index, term, bytes.Length));
            }
            catch (Exception exception)
            {
                _snapshotFault = exception;
            }
        });
    }

    // Only ever forward: an installed snapshot must not be replaced by an older one finishing late.
    private void Publish(RaftSnapshot snapshot)
    {
        snapshot.Resent = OnSnapshotResent;
        var current = Volatile.Read(ref _snapshot);
        while ((current is null || current.Index < snapshot.Index)
               && Interlocked.CompareExchange(ref _snapshot, snapshot, current) is var seen && seen != current)
            current = seen;
    }

    private void WriteDurably(string path, byte[] bytes)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(_directory);
    }

    private (Core.Exchange Exchange, ReadOnlyMemory<byte> Extra) Load(byte[] bytes, string what)
    {
        var exchange = Fresh();
        ReadOnlyMemory<byte> extra;
        try
        {
            (var state, extra) = RaftSnapshot.Unpack(bytes);
            SnapshotCodec.Read(state.Span, exchange);
        }
        catch (Exception exception) when (exception is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException(
                $"Cannot restore {what}: it is damaged or was made with another configuration (instruments, options). " +
                $"Every node of a cluster must run the same configuration. {exception.Message}", exception);
        }

        return (exchange, extra);
    }

    private Core.Exchange Fresh()
    {
        var exchange = _fresh() ?? throw new InvalidOperationException("The exchange factory returned null.");
        if (exchange.LastSequence != 0)
            throw new InvalidOperationException("The exchange factory must return a fresh exchange.");
        return exchange;
    }

    private static void ThrowDamaged(long index, string why) =>
        throw new InvalidDataException($"The Raft log entry at index {index} is not a valid command batch: {why}.");
}
