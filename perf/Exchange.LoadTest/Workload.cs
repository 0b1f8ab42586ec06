using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.LoadTest;

/// <summary>
/// A generated workload, held in arrays before anything is measured: the setup (deposits, marks, books filled to
/// their target) and the measured commands, stamped with the sequences the exchange will see, each with its kind
/// and whether it traded when the generator applied it.
/// </summary>
internal sealed class Workload
{
    public const long BasePrice = 120_000;

    public required WorkloadSpec Spec { get; init; }
    public required Command[] Setup { get; init; }
    public required Command[] Commands { get; init; }
    public required CommandKind[] Kinds { get; init; }
    public required bool[] Traded { get; init; }
    public required WorkloadStats Stats { get; init; }

    /// <summary>The state hash after all commands, from the generator's own exchange (a fresh one that applied them).</summary>
    public required ulong FinalHash { get; init; }

    /// <summary>Capacities sized for the steady state, so nothing grows (allocates) while measuring.</summary>
    public static ExchangeOptions Options(WorkloadSpec spec) => new()
    {
        MaxInstruments = Math.Max(1, spec.Instruments),
        AccountCapacity = spec.Accounts + 1,
        OrderCapacity = Math.Max(1 << 16, spec.Instruments * spec.OrdersPerBook * 4),
        LevelCapacity = 4096,
        // Every account's token space and the shared one (--tokens), so the token table does not grow while measuring.
        InitialTokenSpaces = spec.Accounts + 2,
    };

    /// <summary>A BTC-like perpetual: price ~120,000 ticks, 1 lot = 60 USD (10^6 units a USD), 10x initial leverage.</summary>
    public static InstrumentSpec Instrument(int index) => new()
    {
        Name = $"PERP-{index}", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
        LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 100_000_000,
    };

    /// <summary>A fresh exchange with the instruments added and the setup applied: ready for <see cref="Commands"/>.</summary>
    public Core.Exchange NewExchange()
    {
        var x = new Core.Exchange(Options(Spec));
        for (var i = 0; i < Spec.Instruments; i++) x.AddInstrument(Instrument(i));
        foreach (ref readonly var c in Setup.AsSpan()) x.Apply(in c);
        return x;
    }

    /// <summary>A fresh exchange that applied the setup and the first <paramref name="count"/> commands.</summary>
    public Core.Exchange Replay(int count)
    {
        var x = NewExchange();
        foreach (ref readonly var c in Commands.AsSpan(0, count)) x.Apply(in c);
        return x;
    }

    /// <summary>
    /// <see cref="Replay"/> with every measured command timed (two clock reads around it): each command's time in
    /// ticks lowers <paramref name="minTicks"/>[i] when below it, so over several passes it holds each command's
    /// fastest time (what the command costs when no other process interrupted it), and is added to
    /// <paramref name="sumTicks"/>[i].
    /// </summary>
    public Core.Exchange ReplayTimed(int count, long[] minTicks, long[] sumTicks)
    {
        var x = NewExchange();
        var commands = Commands;
        for (var i = 0; i < count; i++)
        {
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            x.Apply(in commands[i]);
            var d = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            if (d < minTicks[i]) minTicks[i] = d;
            sumTicks[i] += d;
        }
        return x;
    }

    /// <summary>
    /// Gives every measured command a token space and that space's next token, as the gateway does (a trader's space is
    /// its account; marks, funding and deposits share one more), so applying them runs the core's token check on every
    /// command. Every token is new: the events and state are those of the untokened commands.
    /// </summary>
    public void StampTokens()
    {
        const uint shared = 0x8000_0001;
        var next = new Dictionary<uint, uint>();
        for (var i = 0; i < Commands.Length; i++)
        {
            ref var c = ref Commands[i];
            var origin = c.Type is CommandType.NewOrder or CommandType.Cancel or CommandType.CancelAll or CommandType.Amend
                ? (uint)c.AccountId
                : shared;
            c.Origin = origin;
            c.Token = next[origin] = next.GetValueOrDefault(origin) + 1;
        }
    }
}
