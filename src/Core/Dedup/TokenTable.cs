using System.Runtime.CompilerServices;
using Exchange.Core.Events;

namespace Exchange.Core.Dedup;

/// <summary>
/// The deduplication state of the exchange, per token space (origin, docs/architecture.md): the highest token applied
/// and a window of the last <see cref="Window"/> outcomes recorded. Part of the state: snapshots carry it and the state
/// hash covers it, so replay rebuilds it and no one reads the journal to recover it.
/// </summary>
/// <remarks>
/// Every applied token newer than <see cref="Evicted"/> (the newest token the window let go) is in the window: a
/// token that is not there, at or below the highest and after that mark, was therefore never applied (skipped). Token
/// spaces live in struct-of-arrays slots in first-seen order (deterministic from the command log) found through an
/// open-addressed index; the arrays grow out of line, doubling, up to <see cref="MaxSpaces"/>, so the steady state
/// never allocates. Comparisons are RFC 1982 serial arithmetic (<see cref="SerialNumber"/>).
/// </remarks>
public sealed class TokenTable
{
    private readonly int _window;
    private readonly int _max;
    private uint[] _origins;
    private uint[] _highest;
    private uint[] _evicted;
    private int[] _head;
    private int[] _filled;
    private TokenOutcome[] _outcomes;
    private int _count;
    // Open-addressed index origin -> slot + 1 (0 = empty), at most half full.
    private int[] _index;
    private int _indexMask;

    public TokenTable(int window, int maxSpaces, int initialSpaces = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSpaces, 1);
        _window = window;
        _max = maxSpaces;
        var capacity = Math.Min(Math.Max(1, initialSpaces), maxSpaces);
        _origins = new uint[capacity];
        _highest = new uint[capacity];
        _evicted = new uint[capacity];
        _head = new int[capacity];
        _filled = new int[capacity];
        _outcomes = new TokenOutcome[capacity * window];
        _index = new int[IndexSize(capacity)];
        _indexMask = _index.Length - 1;
    }

    /// <summary>Outcomes kept per token space.</summary>
    public int Window => _window;

    /// <summary>Token spaces the table may hold.</summary>
    public int MaxSpaces => _max;

    /// <summary>Token spaces seen so far.</summary>
    public int Count => _count;

    /// <summary>The slot of <paramref name="origin"/>, or −1 if it has applied nothing yet.</summary>
    public int Find(uint origin)
    {
        for (var i = Hash(origin) & _indexMask; ; i = (i + 1) & _indexMask)
        {
            var s = _index[i] - 1;
            if (s < 0) return -1;
            if (_origins[s] == origin) return s;
        }
    }

    /// <summary>The slot of <paramref name="origin"/>, added if new; −1 when the table is full.</summary>
    public int FindOrAdd(uint origin)
    {
        var s = Find(origin);
        return s >= 0 ? s : Add(origin);
    }

    /// <summary>What <paramref name="token"/> is to the token space in <paramref name="slot"/>; for a duplicate,
    /// <paramref name="outcome"/> is where its outcome is (see <see cref="Outcome"/>).</summary>
    public TokenVerdict Check(int slot, uint token, out int outcome)
    {
        outcome = -1;
        var highest = _highest[slot];
        if (highest == 0 || SerialNumber.IsAfter(token, highest)) return TokenVerdict.New;
        return Old(slot, token, out outcome);
    }

    /// <summary>A token at or below the highest: the rare path, a scan of the window newest first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private TokenVerdict Old(int slot, uint token, out int outcome)
    {
        var baseIndex = slot * _window;
        var head = _head[slot];
        for (var k = 0; k < _filled[slot]; k++)
        {
            head = head == 0 ? _window - 1 : head - 1;
            if (_outcomes[baseIndex + head].Token != token) continue;
            outcome = baseIndex + head;
            return TokenVerdict.Duplicate;
        }
        outcome = -1;
        var evicted = _evicted[slot];
        return evicted != 0 && !SerialNumber.IsAfter(token, evicted) ? TokenVerdict.Stale : TokenVerdict.Skipped;
    }

    /// <summary>An outcome found by <see cref="Check"/>.</summary>
    public ref readonly TokenOutcome Outcome(int outcome) => ref _outcomes[outcome];

    /// <summary>Records what <paramref name="token"/> did; a new token becomes the highest.</summary>
    public void Record(int slot, uint token, long sequence, long orderId, RejectCode code)
    {
        var i = slot * _window + _head[slot];
        ref var o = ref _outcomes[i];
        if (_filled[slot] == _window)
        {
            var gone = o.Token;
            if (_evicted[slot] == 0 || SerialNumber.IsAfter(gone, _evicted[slot])) _evicted[slot] = gone;
        }
        else
        {
            _filled[slot]++;
        }
        o.Token = token;
        o.Sequence = sequence;
        o.OrderId = orderId;
        o.Code = code;
        _head[slot] = _head[slot] + 1 == _window ? 0 : _head[slot] + 1;
        if (_highest[slot] == 0 || SerialNumber.IsAfter(token, _highest[slot])) _highest[slot] = token;
    }

    /// <summary>The token <paramref name="origin"/> is expected to send next: 1 for a space that applied nothing.</summary>
    public uint NextToken(uint origin)
    {
        var s = Find(origin);
        return s < 0 ? 1 : SerialNumber.Next(_highest[s]);
    }

    // ---- Slots in first-seen order, for the snapshot codec and tests. ----

    /// <summary>The origin of the slot.</summary>
    public uint OriginAt(int slot) => _origins[slot];

    /// <summary>The highest token applied in the slot's space.</summary>
    public uint Highest(int slot) => _highest[slot];

    /// <summary>The newest token the slot's window let go (0: none yet).</summary>
    public uint Evicted(int slot) => _evicted[slot];

    /// <summary>Outcomes in the slot's window.</summary>
    public int Filled(int slot) => _filled[slot];

    /// <summary>The slot's <paramref name="k"/>th outcome, oldest first.</summary>
    public ref readonly TokenOutcome OutcomeAt(int slot, int k)
    {
        var start = _filled[slot] < _window ? 0 : _head[slot];
        return ref _outcomes[slot * _window + (start + k) % _window];
    }

    /// <summary>Sets a restored slot's marks (its outcomes are recorded first, oldest first).</summary>
    internal void Restore(int slot, uint highest, uint evicted)
    {
        _highest[slot] = highest;
        if (evicted != 0 && (_evicted[slot] == 0 || SerialNumber.IsAfter(evicted, _evicted[slot]))) _evicted[slot] = evicted;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Add(uint origin)
    {
        if (_count == _max) return -1;
        if (_count == _origins.Length) Grow();
        var s = _count++;
        _origins[s] = origin;
        Insert(origin, s);
        return s;
    }

    private void Insert(uint origin, int slot)
    {
        var i = Hash(origin) & _indexMask;
        while (_index[i] != 0) i = (i + 1) & _indexMask;
        _index[i] = slot + 1;
    }

    private void Grow()
    {
        var capacity = (int)Math.Min((long)_origins.Length * 2, _max);
        Array.Resize(ref _origins, capacity);
        Array.Resize(ref _highest, capacity);
        Array.Resize(ref _evicted, capacity);
        Array.Resize(ref _head, capacity);
        Array.Resize(ref _filled, capacity);
        Array.Resize(ref _outcomes, capacity * _window);
        _index = new int[IndexSize(capacity)];
        _indexMask = _index.Length - 1;
        for (var s = 0; s < _count; s++) Insert(_origins[s], s);
    }

    private static int IndexSize(int capacity) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, capacity * 2));

    // Fibonacci hashing: traders' origins are consecutive account ids, spread over the index by the multiply.
    private static int Hash(uint origin) => (int)((origin * 2654435769u) >> 8);
}
