using Exchange.Core.Commands;

namespace Exchange.LoadTest;

/// <summary>
/// The resting orders of one book as the generator knows them, in dense arrays so a uniformly random one can be
/// picked for a cancel or a move; removal swaps the last entry into the hole.
/// </summary>
internal sealed class OrderPool
{
    private readonly Dictionary<long, int> _index = [];
    private long[] _ids = new long[1024];
    private int[] _accounts = new int[1024];
    private long[] _prices = new long[1024];
    private Side[] _sides = new Side[1024];

    public int Count { get; private set; }
    public int Buys { get; private set; }
    public int Sells => Count - Buys;

    public long Id(int i) => _ids[i];
    public int Account(int i) => _accounts[i];
    public long Price(int i) => _prices[i];
    public Side SideOf(int i) => _sides[i];

    public void Upsert(long id, int account, Side side, long price)
    {
        if (_index.TryGetValue(id, out var i))
        {
            _prices[i] = price;
            return;
        }
        if (Count == _ids.Length) Grow();
        i = Count++;
        _ids[i] = id;
        _accounts[i] = account;
        _sides[i] = side;
        _prices[i] = price;
        _index[id] = i;
        if (side == Side.Buy) Buys++;
    }

    public void Remove(long id)
    {
        if (!_index.Remove(id, out var i)) return;
        if (_sides[i] == Side.Buy) Buys--;
        var last = --Count;
        if (i != last)
        {
            _ids[i] = _ids[last];
            _accounts[i] = _accounts[last];
            _sides[i] = _sides[last];
            _prices[i] = _prices[last];
            _index[_ids[i]] = i;
        }
    }

    private void Grow()
    {
        var n = _ids.Length * 2;
        Array.Resize(ref _ids, n);
        Array.Resize(ref _accounts, n);
        Array.Resize(ref _prices, n);
        Array.Resize(ref _sides, n);
    }
}
