using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using Exchange.Core.Journal;

namespace Exchange.Benchmarks;

/// <summary>
/// The pause a snapshot costs the business-logic thread, as the population grows (issue 16): <see cref="Accounts"/>
/// accounts, each with a position and one resting order (the state of <c>PipelineBenchmarks.SnapshotWrite</c>, scaled).
/// <see cref="Serialize"/> is the whole serialization into a reused buffer, which is what the business-logic thread
/// used to pause for; <see cref="Capture"/> is the copy of the raw state it pauses for now, the held positions' lots
/// and costs deferred to the following commands (<see cref="CaptureWhole"/> copies them too, as the pause did before;
/// the serialization of the copy runs on a pool thread: <see cref="SerializeImage"/>).
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    [Params(10_000, 100_000)]
    public int Accounts;

    private Exchange.Core.Exchange _exchange = null!;
    private readonly SnapshotBuffer _buffer = new();
    private readonly SnapshotImage _image = new();

    /// <summary>The state <see cref="Setup"/> built (<see cref="ClusterSnapshotPause"/> times its snapshots).</summary>
    internal Exchange.Core.Exchange State => _exchange;

    [GlobalSetup]
    public void Setup()
    {
        _exchange = new Exchange.Core.Exchange(new ExchangeOptions
        {
            MaxInstruments = 1, AccountCapacity = Accounts + 1, OrderCapacity = 2 * Accounts,
        });
        _exchange.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
        });
        long sequence = 0;
        Apply(Command.Mark(0, 120_000), ref sequence);
        for (var a = 1; a <= Accounts; a++) Apply(Command.DepositTo(a, 1_000_000_000_000), ref sequence);
        for (var a = 1; a < Accounts; a += 2)
        {
            Apply(Command.Limit(a, 0, Side.Sell, 120_000, 1 + a % 7), ref sequence);
            Apply(Command.Limit(a + 1, 0, Side.Buy, 120_000, 1 + a % 7, TimeInForce.Ioc), ref sequence);
        }
        for (var a = 1; a <= Accounts; a++)
            Apply(Command.Limit(a, 0, a % 2 == 0 ? Side.Buy : Side.Sell, a % 2 == 0 ? 119_000 - a % 500 : 121_000 + a % 500, 1), ref sequence);
        if (_exchange.OpenOrderCount != Accounts) throw new InvalidOperationException($"{_exchange.OpenOrderCount} open orders, want {Accounts}");
        _image.Capture(_exchange);
    }

    [Benchmark(Description = "the pause: capture the raw state, the positions deferred")]
    public int Capture()
    {
        // The previous call's deferred positions are dropped, not copied: only the pause is measured (a capture
        // would otherwise copy them first). The image is left without them, as CaptureWhole shows what they cost.
        Deferred(_exchange.AccountStore) = null;
        _image.Capture(_exchange, deferPositions: true);
        return _image.MaxId;
    }

    [Benchmark(Description = "capture with the positions (the pause before they were deferred)")]
    public int CaptureWhole()
    {
        _image.Capture(_exchange);
        return _image.MaxId;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_deferred")]
    private static extern ref SnapshotImage? Deferred(Exchange.Core.Accounts.AccountStore store);

    [Benchmark(Description = "serialize the captured image (pool thread)")]
    public int SerializeImage()
    {
        SnapshotCodec.Write(_image, _buffer);
        return _buffer.Written.Length;
    }

    [Benchmark(Description = "capture and serialize (the old pause: the whole serialization)")]
    public int Serialize()
    {
        SnapshotCodec.Write(_exchange, _buffer);
        return _buffer.Written.Length;
    }

    private void Apply(Command c, ref long sequence)
    {
        c.Sequence = ++sequence;
        _exchange.Apply(in c);
    }
}
