using System.Runtime.CompilerServices;

namespace Exchange.Gateway.Streams;

/// <summary>
/// The append-only log of one user's sequenced messages, numbered from 1. One writer at a time (the owner's lock),
/// any number of lock-free readers: a message is written in full, then published by a release-store of
/// <see cref="Count"/>, and a reader that acquires Count sees every message up to it. Messages are packed into 64 KiB
/// segments that are never moved or freed, so a span handed to a reader stays valid while the log grows.
/// </summary>
internal sealed class MessageLog
{
    public const int MaxMessageLength = 8 * 1024;
    private const int SegmentSize = 1 << 16;

    private byte[][] _segments = new byte[4][];
    private int _segmentCount;
    private int _offset = SegmentSize;
    // Per message: segment << 32 | offset << 16 | length (offset and length both < 2^16).
    private long[] _entries = new long[256];
    private int _count;
    // The outcome index: per command that sent this user anything, its sequence and its first message here (its
    // outcome, docs/protocol.md section 7), in command order. Grows with the log and goes with it; written and read
    // under the owner's lock only (the output thread marks and looks up).
    private long[] _outcomeCommands = new long[64];
    private int[] _outcomeMessages = new int[64];
    private int _outcomeCount;

    /// <summary>Messages published so far; the last one is number <see cref="Count"/>.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Message <paramref name="sequence"/> (1-based, at most a <see cref="Count"/> read earlier).</summary>
    public ReadOnlySpan<byte> Get(int sequence)
    {
        // Count was acquired before this call: the arrays read here are at least as new as the entry.
        var e = Volatile.Read(ref _entries)[sequence - 1];
        var segment = Volatile.Read(ref _segments)[(int)(e >> 32)];
        return segment.AsSpan((int)(e >> 16) & 0xFFFF, (int)e & 0xFFFF);
    }

    /// <summary>Room for a message of up to <paramref name="maxLength"/> bytes; finish with <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int maxLength)
    {
        if (_offset + maxLength > SegmentSize) NewSegment();
        return _segments[_segmentCount - 1].AsSpan(_offset, maxLength);
    }

    /// <summary>Publishes the reserved message with its actual length; returns its sequence number.</summary>
    public int Commit(int length)
    {
        if (_count == _entries.Length) GrowEntries();
        _entries[_count] = (long)(_segmentCount - 1) << 32 | (long)_offset << 16 | (uint)length;
        _offset += length;
        Volatile.Write(ref _count, _count + 1);
        return _count;
    }

    public int Append(ReadOnlySpan<byte> message)
    {
        message.CopyTo(Reserve(message.Length));
        return Commit(message.Length);
    }

    /// <summary>Message <paramref name="message"/> is the outcome of command <paramref name="commandSequence"/>: its first
    /// message to this user. Commands are marked in sequence order; a command marked already keeps its first.</summary>
    public void MarkOutcome(long commandSequence, int message)
    {
        if (_outcomeCount > 0 && _outcomeCommands[_outcomeCount - 1] >= commandSequence) return;
        if (_outcomeCount == _outcomeCommands.Length) GrowOutcomes();
        _outcomeCommands[_outcomeCount] = commandSequence;
        _outcomeMessages[_outcomeCount++] = message;
    }

    /// <summary>The number of command <paramref name="commandSequence"/>'s outcome message, or 0 when this log does not
    /// hold it (a binary search of the outcome index).</summary>
    public int FindOutcome(long commandSequence)
    {
        var i = Array.BinarySearch(_outcomeCommands, 0, _outcomeCount, commandSequence);
        return i >= 0 ? _outcomeMessages[i] : 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowOutcomes()
    {
        Array.Resize(ref _outcomeCommands, _outcomeCommands.Length * 2);
        Array.Resize(ref _outcomeMessages, _outcomeMessages.Length * 2);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NewSegment()
    {
        if (_segmentCount == _segments.Length)
        {
            var grown = new byte[_segments.Length * 2][];
            Array.Copy(_segments, grown, _segmentCount);
            Volatile.Write(ref _segments, grown);
        }
        _segments[_segmentCount++] = new byte[SegmentSize];
        _offset = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowEntries()
    {
        var grown = new long[_entries.Length * 2];
        Array.Copy(_entries, grown, _count);
        Volatile.Write(ref _entries, grown);
    }
}
