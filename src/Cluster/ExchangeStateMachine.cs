using System.Buffers;
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
/// the applier pauses only to serialize the state (on its own thread, between two entries, where the state is
/// consistent); the bytes are written, fsynced and renamed into place on a pool thread, and the snapshot is announced
/// to the log only once it is durable. The write-ahead log calls <see cref="ApplyAsync"/> from one flow at a time: the
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
    private byte[] _copy = new byte[64 * JournalBatch.RecordSize];
    private long _appliedIndex;
    private long _lastSequence;
    private long _sinceSnapshot;
    private int _installed;
    private volatile Exception? _snapshotFault;
    private volatile Exception? _fault;
    private readonly ulong? _fingerprint;

    /// <summary>Makes a fresh exchange with the cluster's configuration and loads <paramref name="state"/> into it.</summary>
    /// <exception cref="InvalidDataException">The state is damaged or does not fit the configuration.</exception>
    internal Core.Exchange Restore(byte[] state) => Load(state, "the state copied at the leadership barrier");

    /// <summary>Restores the newest snapshot in <paramref name="snapshotDirectory"/>, if any.</summary>
    /// <param name="snapshotDirectory">Where this node's snapshots live.</param>
    /// <param name="fresh">Makes a fresh exchange with the cluster's configuration (options, instruments in order).</param>
    /// <param name="snapshotEveryCommands">A snapshot is taken once this many commands were applied since the last.</param>
    /// <param name="fingerprint">This node's <see cref="ConfigurationFingerprint"/>: a barrier entry written by a
    /// leader with another one stops the state machine (null: not checked).</param>
    /// <exception cref="InvalidDataException">The newest snapshot is damaged or does not fit the configuration: the
    /// log below it is gone, so no older state would do.</exception>
    public ExchangeStateMachine(string snapshotDirectory, Func<Core.Exchange> fresh, long snapshotEveryCommands,
        ulong? fingerprint = null)
    {
        _fingerprint = fingerprint;
        ArgumentException.ThrowIfNullOrEmpty(snapshotDirectory);
        ArgumentNullException.ThrowIfNull(fresh);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapshotEveryCommands);
        _directory = snapshotDirectory;
        _fresh = fresh;
        _snapshotEvery = snapshotEveryCommands;
        Directory.CreateDirectory(snapshotDirectory);
        _exchange = Fresh();
        var snapshots = RaftSnapshot.List(snapshotDirectory);
        if (snapshots.Count > 0)
        {
            var newest = snapshots[0];
            _exchange = Load(File.ReadAllBytes(newest.Path), newest.Path);
            _snapshot = newest;
            _appliedIndex = newest.Index;
            _lastSequence = _exchange.LastSequence;
        }
    }

    /// <summary>The exchange as the committed log made it. It belongs to the log's applier: read it only once the node
    /// is stopped (or from <see cref="Applied"/>).</summary>
    public Core.Exchange Exchange => _exchange;

    /// <summary>The index of the last log entry applied.</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    /// <summary>The sequence of the last command applied: the leader's sequencer continues from it.</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>How many snapshots the leader sent this node because its log no longer reached back far enough.</summary>
    public int SnapshotsInstalled => Volatile.Read(ref _installed);

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

    /// <inheritdoc/>
    public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (_fault is { } fault)
            throw new InvalidOperationException("The state machine stopped: " + fault.Message, fault);
        if (entry.Index <= _appliedIndex)
            return _appliedIndex;
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
            else if (payload.Length is 1 or LeadershipBarrier.Length)
            {
                CheckBarrier(in payload, entry.Index);
                // Only the leader that wrote it has the context; for the others the barrier carries no commands.
                if (entry.Context is LeadershipBarrier barrier)
                    barrier.State = SnapshotCodec.Write(_exchange);
            }
            else if (!payload.IsEmpty)
            {
                _sinceSnapshot += ApplyBatch(in payload, entry.Index);
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
        if (_sinceSnapshot >= _snapshotEvery && _pendingSnapshot is not { IsCompleted: false })
            TakeSnapshot(entry.Index, entry.Term);
        return entry.Index;
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

    private void CheckBarrier(in ReadOnlySequence<byte> payload, long index)
    {
        Span<byte> bytes = stackalloc byte[LeadershipBarrier.Length];
        payload.CopyTo(bytes);
        if (bytes[0] != LeadershipBarrier.Marker)
            ThrowDamaged(index, "a barrier entry that does not start with the barrier's marker");
        // A one-byte barrier predates the fingerprint: nothing to compare.
        if (payload.Length == 1 || _fingerprint is not { } own)
            return;
        ulong leader = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]);
        if (leader != own)
            throw new InvalidDataException(
                $"The leader that wrote log index {index} runs another configuration than this node (fingerprint {leader:x16}, " +
                $"this node's {own:x16}: the exchange's options, its instruments, or the cluster's members differ). Every node of " +
                "a cluster must run the same configuration: this node applies nothing more.");
    }

    private int ApplyBatch(in ReadOnlySequence<byte> payload, long index)
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
            // Increasing, not contiguous: queries take sequences in the leader's pipeline and are never journaled.
            if (command.Sequence <= _exchange.LastSequence)
                ThrowDamaged(index, $"command sequence {command.Sequence} does not follow {_exchange.LastSequence}");
            _exchange.Apply(in command);
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
        _exchange = Load(bytes, $"the snapshot at log index {entry.Index} sent by the leader");
        WriteDurably(path, bytes);
        Publish(new RaftSnapshot(path, entry.Index, entry.Term, bytes.Length));
        _sinceSnapshot = 0;
        Interlocked.Increment(ref _installed);
    }

    private void TakeSnapshot(long index, long term)
    {
        byte[] bytes = SnapshotCodec.Write(_exchange);
        _sinceSnapshot = 0;
        var path = Path.Combine(_directory, RaftSnapshot.FileName(index, term));
        _pendingSnapshot = Task.Run(() =>
        {
            try
            {
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

    private Core.Exchange Load(byte[] bytes, string what)
    {
        var exchange = Fresh();
        try
        {
            SnapshotCodec.Read(bytes, exchange);
        }
        catch (Exception exception) when (exception is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException(
                $"Cannot restore {what}: it is damaged or was made with another configuration (instruments, options). " +
                $"Every node of a cluster must run the same configuration. {exception.Message}", exception);
        }

        return exchange;
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
