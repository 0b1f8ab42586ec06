using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Exchange.Core.Journal;

namespace Exchange.Gateway.Streams;

/// <summary>
/// One stream's sequenced messages, numbered from 1: the retention window of the newest ones in memory and, when the
/// stream is persisted, on disk (<see cref="StreamFile"/>). One writer at a time (the owner's lock), any number of
/// lock-free readers. A message is reserved and committed into a 64 KiB segment, then <see cref="Flush"/> writes what
/// was committed to the stream's file (one write call) and only then publishes it by a release-store of
/// <see cref="Published"/>: a reader never sees a message that is not in the file, so whatever a client received
/// survives a kill -9. Each message is stored as its file record (<see cref="HeaderLength"/>-byte header, then the
/// message), so a flush copies nothing.
/// </summary>
/// <remarks>
/// Retention (<see cref="RetentionWindow"/>) drops whole segments from the front when a new one begins: a segment
/// goes once the messages after it alone fill the message or byte bound, or its last message is older than the age
/// bound. A dropped segment's array is reused, so a reader copies a message and then checks that it is still at or
/// after <see cref="First"/> (<see cref="IsRetained"/>); one that fell out of the window is dropped by its connection.
/// </remarks>
internal sealed class MessageLog : IDisposable
{
    public const int MaxMessageLength = 8 * 1024;
    /// <summary>Per record: payload length (u16), CRC32C of the rest (u32), the command sequence that produced it (i64,
    /// its top bit <see cref="OutcomeFlag"/>).</summary>
    public const int HeaderLength = 14;
    /// <summary>In a record's command field: this message is the outcome of that command (<see cref="MarkOutcome"/>),
    /// so the outcome index is rebuilt when the stream is loaded after a restart.</summary>
    public const long OutcomeFlag = long.MinValue;
    private const int SegmentSize = 1 << 16;

    private readonly RetentionWindow _window;
    private readonly StreamFile? _file;

    // Segments by absolute number (ring slot = number & mask); _oldest.._newest are live.
    private byte[][] _segments = new byte[4][];
    private long[] _segmentFirst = new long[4];
    private long[] _segmentLastMs = new long[4];
    private int[] _segmentUsed = new int[4];
    private long _oldest;
    private long _newest = -1;
    private int _offset = SegmentSize;
    private long _bytes;
    private readonly Stack<byte[]> _spare = new();
    private long _restoringMs;
    // The outcome index (docs/protocol.md section 7): per command that answered this user, its sequence and its outcome
    // message here, in command order; trimmed to the window as it grows. Persisted as the OutcomeFlag of the outcome's
    // record and rebuilt from it at load (Restore).
    private long[] _outcomeCommands = new long[64];
    private long[] _outcomeMessages = new long[64];
    private int _outcomeCount;

    // Per message (ring slot = sequence & mask): segment number << 32 | offset << 16 | record length.
    private long[] _entries = new long[256];
    private long _committed;
    private long _published;
    private long _first = 1;
    // The first committed byte not yet written to the file, and how many messages are written (at least Published).
    private long _unwrittenSegment;
    private int _unwrittenOffset;
    private long _written;
    private bool _loading;

    /// <summary>The command being routed on this thread (the output thread sets it; 0 elsewhere): stamped on each
    /// message it commits, so a restart knows which commands' output the stream holds.</summary>
    [ThreadStatic] internal static long CurrentCommand;

    public MessageLog(RetentionWindow window, StreamFile? file = null)
    {
        _window = window;
        _file = file;
        if (file is null) return;
        _loading = true;
        file.Load(this);
        _loading = false;
        _unwrittenSegment = Math.Max(_newest, 0);
        _unwrittenOffset = _newest < 0 ? 0 : _segmentUsed[_newest & (_segments.Length - 1)];
        _published = _written = _committed;
        Evict(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        file.DeleteBefore(_first);
    }

    /// <summary>Messages committed so far (the writer's view; read it under the owner's lock).</summary>
    public long Count => _committed;

    /// <summary>Messages readers may read: every one of them is in the file.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>The oldest message still held; a replay from before it is refused.</summary>
    public long First => Volatile.Read(ref _first);

    /// <summary>The command sequence stamped on the newest message (0: none, or not from a command).</summary>
    public long LastCommand { get; private set; }

    /// <summary>Bytes held in memory (records and their headers).</summary>
    public long Bytes => _bytes;

    /// <summary>The on-disk side, if persisted.</summary>
    public StreamFile? File => _file;

    /// <summary>Message <paramref name="sequence"/> (at least <see cref="First"/>, at most a <see cref="Published"/> read earlier).
    /// Check <see cref="IsRetained"/> after copying it: a message that fell out of the window may have been overwritten.</summary>
    public ReadOnlySpan<byte> Get(long sequence)
    {
        // Published was acquired before this call: the arrays read here are at least as new as the entry.
        var entries = Volatile.Read(ref _entries);
        var e = entries[sequence & (entries.Length - 1)];
        var segments = Volatile.Read(ref _segments);
        var segment = segments[(e >> 32) & (segments.Length - 1)];
        return segment.AsSpan(((int)(e >> 16) & 0xFFFF) + HeaderLength, ((int)e & 0xFFFF) - HeaderLength);
    }

    /// <summary>Message <paramref name="sequence"/> as stored, header included (the record a peer fetching the stream
    /// receives, <see cref="StreamFetch"/>); the same rules as <see cref="Get"/>: check <see cref="IsRetained"/> after
    /// copying it. A published record never changes (an outcome flag is set only before the record is written).</summary>
    public ReadOnlySpan<byte> GetRecord(long sequence)
    {
        var entries = Volatile.Read(ref _entries);
        var e = entries[sequence & (entries.Length - 1)];
        var segments = Volatile.Read(ref _segments);
        var segment = segments[(e >> 32) & (segments.Length - 1)];
        return segment.AsSpan((int)(e >> 16) & 0xFFFF, (int)e & 0xFFFF);
    }

    /// <summary>True while <paramref name="sequence"/> is in the window (so a copy of it taken before is intact).</summary>
    public bool IsRetained(long sequence) => sequence >= Volatile.Read(ref _first);

    /// <summary>The command sequence that produced message <paramref name="sequence"/> (writer side).</summary>
    public long CommandOf(long sequence)
    {
        var e = _entries[sequence & (_entries.Length - 1)];
        var segment = _segments[(e >> 32) & (_segments.Length - 1)];
        return BinaryPrimitives.ReadInt64LittleEndian(segment.AsSpan((int)(e >> 16) & 0xFFFF).Slice(6)) & ~OutcomeFlag;
    }

    /// <summary>Message <paramref name="message"/> is the outcome of command <paramref name="commandSequence"/>.
    /// Commands are marked in sequence order; a command marked already keeps its first. Under the owner's lock, before the
    /// message is written (a flush, or a full segment): the mark is written with it (the record's <see cref="OutcomeFlag"/>), so it survives a restart.</summary>
    public void MarkOutcome(long commandSequence, long message)
    {
        if (_outcomeCount > 0 && _outcomeCommands[_outcomeCount - 1] >= commandSequence) return;
        if (message > _written && message <= _committed) FlagOutcome(message, commandSequence);
        if (_outcomeCount == _outcomeCommands.Length)
        {
            // The index keeps the outcomes still in the window: older ones go before it grows.
            var keep = 0;
            while (keep < _outcomeCount && _outcomeMessages[keep] < _first) keep++;
            if (keep > 0)
            {
                Array.Copy(_outcomeCommands, keep, _outcomeCommands, 0, _outcomeCount - keep);
                Array.Copy(_outcomeMessages, keep, _outcomeMessages, 0, _outcomeCount - keep);
                _outcomeCount -= keep;
            }
            if (_outcomeCount == _outcomeCommands.Length)
            {
                Array.Resize(ref _outcomeCommands, _outcomeCommands.Length * 2);
                Array.Resize(ref _outcomeMessages, _outcomeMessages.Length * 2);
            }
        }
        _outcomeCommands[_outcomeCount] = commandSequence;
        _outcomeMessages[_outcomeCount++] = message;
    }

    /// <summary>Sets the outcome flag in an unwritten record's command field (when it carries that command) and
    /// recomputes its CRC, which covers the field.</summary>
    private void FlagOutcome(long message, long commandSequence)
    {
        var e = _entries[message & (_entries.Length - 1)];
        var record = _segments[(e >> 32) & (_segments.Length - 1)].AsSpan((int)(e >> 16) & 0xFFFF, (int)e & 0xFFFF);
        if (BinaryPrimitives.ReadInt64LittleEndian(record[6..]) != commandSequence) return;
        BinaryPrimitives.WriteInt64LittleEndian(record[6..], commandSequence | OutcomeFlag);
        BinaryPrimitives.WriteUInt32LittleEndian(record[2..], Crc32C.Compute(record[6..]));
    }

    /// <summary>The number of command <paramref name="commandSequence"/>'s outcome message, or 0 when this log does not
    /// hold it (never marked in this run, or before the retention window).</summary>
    public long FindOutcome(long commandSequence)
    {
        var i = Array.BinarySearch(_outcomeCommands, 0, _outcomeCount, commandSequence);
        return i >= 0 && _outcomeMessages[i] >= _first ? _outcomeMessages[i] : 0;
    }

    /// <summary>Room for a message of up to <paramref name="maxLength"/> bytes; finish with <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int maxLength)
    {
        if (_held is not null && HoldsNext()) return _scratch.AsSpan(0, maxLength);
        if (_offset + HeaderLength + maxLength > SegmentSize) NewSegment();
        return _segments[_newest & (_segments.Length - 1)].AsSpan(_offset + HeaderLength, maxLength);
    }

    /// <summary>Commits the reserved message with its actual length; returns its sequence number. Readers see it after
    /// the next <see cref="Flush"/>.</summary>
    public long Commit(int length)
    {
        if (_skipNext) return Skipped(length);
        var sequence = _committed + 1;
        if (sequence - _first >= _entries.Length) GrowEntries();
        var slot = _newest & (_segments.Length - 1);
        var record = _segments[slot].AsSpan(_offset, HeaderLength + length);
        var command = CurrentCommand;
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)length);
        BinaryPrimitives.WriteInt64LittleEndian(record[6..], command);
        BinaryPrimitives.WriteUInt32LittleEndian(record[2..], Crc32C.Compute(record[6..]));
        _entries[sequence & (_entries.Length - 1)] = _newest << 32 | (long)_offset << 16 | (uint)(HeaderLength + length);
        _offset += HeaderLength + length;
        _segmentUsed[slot] = _offset;
        _bytes += HeaderLength + length;
        if (command != 0) LastCommand = command;
        _committed = sequence;
        return sequence;
    }

    public long Append(ReadOnlySpan<byte> message)
    {
        message.CopyTo(Reserve(message.Length));
        return Commit(message.Length);
    }

    /// <summary>Writes what was committed since the last flush to the file, then publishes it to readers. The output
    /// thread calls it once per stream and output batch (<see cref="Routing.WakeBatch"/>), a session thread before it
    /// notifies; between flushes, committed messages are written (not published) only when a segment fills.</summary>
    public void Flush()
    {
        if (_committed == _published) return;
        if (_file is not null && _written < _committed) WriteUnwritten();
        Volatile.Write(ref _published, _committed);
    }

    /// <summary>Messages written to the file (to the OS, not fsynced) so far; <see cref="Published"/> never passes it.</summary>
    public long Written => _file is null ? _committed : _written;

    private void WriteUnwritten()
    {
        var rotated = _file!.Prepare(_written + 1);
        var mask = _segments.Length - 1;
        while (true)
        {
            var used = _segmentUsed[_unwrittenSegment & mask];
            if (used > _unwrittenOffset)
                _file.Write(_segments[_unwrittenSegment & mask].AsSpan(_unwrittenOffset, used - _unwrittenOffset));
            if (_unwrittenSegment == _newest)
            {
                _unwrittenOffset = used;
                break;
            }
            _unwrittenSegment++;
            _unwrittenOffset = 0;
        }
        _written = _committed;
        // A file wholly before the window is deleted when the next one begins (rare: per file, not per message).
        if (rotated) _file.DeleteBefore(First);
    }

    /// <summary>Start-up only: a record read back from the file, appended as it was (no write); a record flagged as its
    /// command's outcome goes back into the outcome index.</summary>
    internal void Restore(ReadOnlySpan<byte> message, long command, long lastWriteMs)
    {
        var saved = CurrentCommand;
        CurrentCommand = command & ~OutcomeFlag;
        _restoringMs = lastWriteMs;
        var sequence = Append(message);
        if (command < 0) MarkOutcome(command & ~OutcomeFlag, sequence);
        _restoringMs = 0;
        CurrentCommand = saved;
        _segmentLastMs[_newest & (_segments.Length - 1)] = lastWriteMs;
    }

    /// <summary>A cluster node filling its stream from a peer (<see cref="StreamFetch"/>): a record fetched, checked
    /// already (its CRC, its number), appended as the peer holds it (the same command stamp and outcome flag, so the
    /// same bytes). Under the owner's lock; published by the next <see cref="Flush"/>.</summary>
    internal long AppendFetched(ReadOnlySpan<byte> record)
    {
        var command = BinaryPrimitives.ReadInt64LittleEndian(record[6..]);
        var saved = CurrentCommand;
        CurrentCommand = command & ~OutcomeFlag;
        var sequence = Append(record[HeaderLength..]);
        if (command < 0) MarkOutcome(command & ~OutcomeFlag, sequence);
        CurrentCommand = saved;
        return sequence;
    }

    // Re-derivation at start (docs/protocol.md section 8): the messages this stream already holds of the commands being
    // re-derived (number and command, in order), the next one to match, and whether the reserved message is one of them.
    private long[]? _held;
    private long[] _heldCommands = [];
    private int _heldCount;
    private int _heldNext;
    private bool _skipNext;
    private byte[] _scratch = [];

    /// <summary>What re-derivation did to this stream: messages it already held (matched, not appended again), messages
    /// it appended, held messages passed over (stamped with a command that was not routed again: an account query's
    /// answer in a stream written by a version that did not journal queries), and held messages that differed from their re-derivation or were left
    /// unmatched at the end (0 unless the output is not a function of the journal, which the tests check).</summary>
    public RederiveCounts Rederived => _rederived;

    private RederiveCounts _rederived;

    /// <summary>
    /// Start-up only, before the commands from <paramref name="fromCommand"/> on are routed again: every message this
    /// stream holds that one of those commands produced (stamped with it) is taken as already there, so routing them
    /// again appends only what the stream lacks. The stream holds a prefix of what it was sent (one writer, in command
    /// order, written in order), so its held messages of those commands are, in order, the first ones their routing
    /// produces again: each new message of command c is matched with the next held message stamped c, if any, and
    /// appended otherwise. A held message stamped with a command that is not routed again (an account query's answer
    /// written by a version that did not journal queries) is passed over, and so is one stamped 0 (a gateway reject
    /// written by a version that did not journal those).
    /// </summary>
    internal void BeginRederive(long fromCommand)
    {
        var first = _committed + 1;
        while (first > _first)
        {
            var command = CommandOf(first - 1);
            if (command != 0 && command < fromCommand) break;
            first--;
        }
        _heldCount = 0;
        _heldNext = 0;
        _held = new long[Math.Max(1, (int)(_committed + 1 - first))];
        _heldCommands = new long[_held.Length];
        for (var m = first; m <= _committed; m++)
        {
            var command = CommandOf(m);
            if (command == 0) continue; // a gateway reject written by a version that did not journal those
            _held[_heldCount] = m;
            _heldCommands[_heldCount++] = command;
        }
        _scratch = new byte[MaxMessageLength];
        _rederived = default;
    }

    /// <summary>Whether <see cref="BeginRederive"/> is in force.</summary>
    internal bool Rederiving => _held is not null;

    /// <summary>Start-up only: re-derivation is over; this stream appends as usual again.</summary>
    internal void EndRederive()
    {
        if (_held is null) return;
        _rederived.Mismatched += _heldCount - _heldNext;
        _held = null;
        _heldCommands = [];
        _scratch = [];
    }

    /// <summary>Whether the message about to be reserved (of <see cref="CurrentCommand"/>) is one the stream holds.</summary>
    private bool HoldsNext()
    {
        var command = CurrentCommand;
        // Held messages of earlier commands that routing did not produce again: an account query's answer written by a
        // version that did not journal queries.
        while (_heldNext < _heldCount && _heldCommands[_heldNext] < command)
        {
            _heldNext++;
            _rederived.PassedOver++;
        }
        _skipNext = _heldNext < _heldCount && _heldCommands[_heldNext] == command;
        if (!_skipNext) _rederived.Appended++;
        return _skipNext;
    }

    /// <summary>The reserved message (in the scratch buffer) is the next held one: nothing is appended; returns the held
    /// message's number, as an append would (so an outcome is found where it is).</summary>
    private long Skipped(int length)
    {
        _skipNext = false;
        var sequence = _held![_heldNext++];
        _rederived.Held++;
        if (IsRetained(sequence) && !Get(sequence).SequenceEqual(_scratch.AsSpan(0, length))) _rederived.Mismatched++;
        return sequence;
    }

    /// <summary>
    /// A cluster node that installed a snapshot (docs/cluster.md): the stream drops what it holds and goes on at message
    /// <paramref name="next"/>, as the stream of the node that made the snapshot does; the messages before it are not
    /// on this node (a login asking for them is refused as before the retention window). Under the owner's lock, with
    /// no reader attached (<see cref="UserStream.SkipTo"/> drops them first).
    /// </summary>
    internal void SkipTo(long next)
    {
        if (next <= _committed + 1) return;
        Volatile.Write(ref _first, next);
        _file?.Reset(next);
        _segments = new byte[4][];
        _segmentFirst = new long[4];
        _segmentLastMs = new long[4];
        _segmentUsed = new int[4];
        _oldest = 0;
        _newest = -1;
        _offset = SegmentSize;
        _bytes = 0;
        _spare.Clear();
        _entries = new long[256];
        _outcomeCount = 0;
        _unwrittenSegment = 0;
        _unwrittenOffset = 0;
        _committed = _written = next - 1;
        Volatile.Write(ref _published, next - 1);
        EndRederive();
    }

    /// <summary>Start-up only: the stream's first file begins after 1 (older files were removed by retention).</summary>
    internal void StartAt(long sequence)
    {
        _committed = _published = _written = sequence - 1;
        _first = sequence;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NewSegment()
    {
        // Wall-clock time (the age bound outlives the process), read once per segment, not per message.
        // A full segment's unwritten messages go to the file now (written, not yet published: the flush publishes), so
        // a batch's unwritten bytes stay within one segment and its flush is a single write call.
        if (_file is not null && !_loading && _written < _committed) WriteUnwritten();
        var now = _restoringMs != 0 ? _restoringMs : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (_newest >= _oldest && _restoringMs == 0) _segmentLastMs[_newest & (_segments.Length - 1)] = now;
        Evict(now);
        if (_newest + 1 - _oldest >= _segments.Length) GrowSegments();
        _newest++;
        var slot = _newest & (_segments.Length - 1);
        _segments[slot] = _spare.Count > 0 ? _spare.Pop() : new byte[SegmentSize];
        _segmentFirst[slot] = _committed + 1;
        _segmentUsed[slot] = 0;
        _segmentLastMs[slot] = now;
        _offset = 0;
    }

    /// <summary>Drops whole segments from the front that the window no longer needs (never the newest, never an unwritten one).</summary>
    private void Evict(long nowMs)
    {
        var mask = _segments.Length - 1;
        while (_oldest < _newest && (_file is null || _oldest < _unwrittenSegment))
        {
            var slot = _oldest & mask;
            var next = _segmentFirst[(_oldest + 1) & mask];
            var used = _segmentUsed[slot];
            var after = _committed - next + 1;
            var old = _window.MaxAgeMs > 0 && nowMs - _segmentLastMs[slot] > _window.MaxAgeMs;
            if (!old && after < _window.MaxMessages && _bytes - used < _window.MaxBytes) break;
            // Readers check First after copying: publish the new start before the array can be reused.
            Volatile.Write(ref _first, next);
            _bytes -= used;
            if (_spare.Count < 2) _spare.Push(_segments[slot]);
            _segments[slot] = null!;
            _oldest++;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowSegments()
    {
        var n = _segments.Length * 2;
        var segments = new byte[n][];
        var first = new long[n];
        var lastMs = new long[n];
        var used = new int[n];
        for (var s = _oldest; s <= _newest; s++)
        {
            var from = s & (_segments.Length - 1);
            var to = s & (n - 1);
            segments[to] = _segments[from];
            first[to] = _segmentFirst[from];
            lastMs[to] = _segmentLastMs[from];
            used[to] = _segmentUsed[from];
        }
        _segmentFirst = first;
        _segmentLastMs = lastMs;
        _segmentUsed = used;
        Volatile.Write(ref _segments, segments);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowEntries()
    {
        var grown = new long[_entries.Length * 2];
        for (var s = _first; s <= _committed; s++) grown[s & (grown.Length - 1)] = _entries[s & (_entries.Length - 1)];
        Volatile.Write(ref _entries, grown);
    }

    public void Dispose() => _file?.Dispose();
}

/// <summary>What re-derivation did to one stream (<see cref="MessageLog.Rederived"/>).</summary>
internal struct RederiveCounts
{
    public long Held;
    public long Appended;
    public long PassedOver;
    public long Mismatched;
}
