namespace Exchange.Core.Tests.Pipeline;

/// <summary>What a handler saw, recorded into preallocated arrays; written by one consumer thread.</summary>
internal sealed class EventLog(int capacity)
{
    private readonly long[] _values = new long[capacity];
    private readonly long[] _sequences = new long[capacity];
    private readonly bool[] _endOfBatch = new bool[capacity];
    private int _count;

    /// <summary>Entries recorded so far; a release/acquire pair with <see cref="Add"/>, so entries below it are complete.</summary>
    public int Count => Volatile.Read(ref _count);

    public long Value(int index) => _values[index];

    public long Sequence(int index) => _sequences[index];

    public bool EndOfBatch(int index) => _endOfBatch[index];

    public void Add(long value, long sequence, bool endOfBatch)
    {
        int index = _count;
        _values[index] = value;
        _sequences[index] = sequence;
        _endOfBatch[index] = endOfBatch;
        Volatile.Write(ref _count, index + 1);
    }
}
