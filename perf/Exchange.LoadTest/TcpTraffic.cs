namespace Exchange.LoadTest;

/// <summary>
/// One step's order-entry traffic, pre-encoded: for each connection its frames back to back in one array
/// (<see cref="Offsets"/>[c][k] is where its k-th frame starts; one past the last is the end), carrying tokens
/// <see cref="FirstToken"/>[c], +1, ... Global command i goes to connection i mod N as its (i / N)-th frame.
/// </summary>
internal sealed class TcpTraffic
{
    public required byte[][] Bytes { get; init; }
    public required int[][] Offsets { get; init; }
    public required uint[] FirstToken { get; init; }
    public required int Total { get; init; }
    public required long[] PerKind { get; init; }

    public int Count(int connection) => Offsets[connection].Length - 1;
}

/// <summary>
/// The tcp mode's order flow, a simple place/cancel/move mix (not the exchange-core generator: its commands name the
/// exchange's order ids, which over several TCP sessions depend on the arrival interleaving). Per connection
/// (account): 45% GTC limit orders 1..50 ticks away from a fixed mid on the passive side, 5% IOC orders 20 ticks
/// through the mid (they trade against the other accounts' resting orders), 25% cancels and 25% moves (price
/// replaces on the same side) of a random order the connection believes is resting, named by its order token; at
/// most <see cref="MaxLive"/> resting per account (then a cancel). The generator does not see fills, so some cancels
/// and moves name an order that has traded away and are rejected UNKNOWN_ORDER: still one outcome each.
/// </summary>
internal sealed class TcpGenerator
{
    public const long Mid = 120_000; // BTC-PERP, tick 0.5 USD: 60,000 USD
    public const int MaxLive = 256;

    private readonly int _connections;
    private readonly Random[] _random;
    private readonly uint[] _nextToken;
    private readonly uint[][] _live;
    private readonly byte[][] _liveSide;
    private readonly int[] _liveCount;

    public TcpGenerator(int connections, int seed)
    {
        _connections = connections;
        _random = new Random[connections];
        _nextToken = new uint[connections];
        _live = new uint[connections][];
        _liveSide = new byte[connections][];
        _liveCount = new int[connections];
        for (var c = 0; c < connections; c++)
        {
            _random[c] = new Random(seed * 1_000 + c);
            _nextToken[c] = 1;
            _live[c] = new uint[MaxLive];
            _liveSide[c] = new byte[MaxLive];
        }
    }

    /// <summary>A token of connection <paramref name="c"/> for a command of the caller's own (the sequence continues).</summary>
    public uint TakeToken(int c) => _nextToken[c]++;

    /// <summary>Forgets every order believed resting (after a cancel-all of each account).</summary>
    public void ForgetLive() => Array.Clear(_liveCount);

    /// <summary>Kinds counted in <see cref="TcpTraffic.PerKind"/>: GTC, IOC, cancel, move (the <see cref="CommandKind"/> order).</summary>
    public TcpTraffic Generate(int total)
    {
        var bytes = new byte[_connections][];
        var offsets = new int[_connections][];
        var first = new uint[_connections];
        var perKind = new long[CommandKinds.Count];
        for (var c = 0; c < _connections; c++)
        {
            var count = (total - c + _connections - 1) / _connections;
            var b = new byte[count * SoupWire.ReplaceFrame];
            var o = new int[count + 1];
            first[c] = _nextToken[c];
            var at = 0;
            for (var k = 0; k < count; k++)
            {
                o[k] = at;
                at += Next(c, b, at, perKind);
            }
            o[count] = at;
            bytes[c] = b;
            offsets[c] = o;
        }
        return new TcpTraffic { Bytes = bytes, Offsets = offsets, FirstToken = first, Total = total, PerKind = perKind };
    }

    private int Next(int c, byte[] b, int at, long[] perKind)
    {
        var r = _random[c];
        var token = _nextToken[c]++;
        var account = (uint)(c + 1);
        var live = _live[c];
        var sides = _liveSide[c];
        var x = r.NextDouble();
        if (_liveCount[c] >= MaxLive) x = 0.6; // a cancel
        else if (_liveCount[c] == 0 && x >= 0.5) x = 0; // nothing to cancel or move: a GTC
        if (x < 0.45)
        {
            var side = (byte)r.Next(2);
            var price = side == 0 ? Mid - 1 - r.Next(50) : Mid + 1 + r.Next(50);
            live[_liveCount[c]] = token;
            sides[_liveCount[c]++] = side;
            perKind[(int)CommandKind.Gtc]++;
            return SoupWire.EnterOrder(b, at, token, account, 0, side, 0, price, 1 + r.Next(10));
        }
        if (x < 0.5)
        {
            var side = (byte)r.Next(2);
            perKind[(int)CommandKind.Ioc]++;
            return SoupWire.EnterOrder(b, at, token, account, 0, side, 1, side == 0 ? Mid + 20 : Mid - 20, 1 + r.Next(5));
        }
        var j = r.Next(_liveCount[c]);
        var orderToken = live[j];
        if (x < 0.75)
        {
            live[j] = live[--_liveCount[c]];
            sides[j] = sides[_liveCount[c]];
            perKind[(int)CommandKind.Cancel]++;
            return SoupWire.Cancel(b, at, token, account, orderToken);
        }
        var newPrice = sides[j] == 0 ? Mid - 1 - r.Next(50) : Mid + 1 + r.Next(50);
        perKind[(int)CommandKind.Move]++;
        return SoupWire.Replace(b, at, token, account, orderToken, newPrice, 0);
    }
}
