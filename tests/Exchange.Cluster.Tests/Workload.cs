using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;
using CoreExchange = Exchange.Core.Exchange;

namespace Exchange.Cluster.Tests;

/// <summary>
/// A small market (BTC-PERP, tick 0.5 USD, lot 0.001 BTC; prices in ticks, money in micro-USD) and a seeded flow of
/// deposits, crossing limit orders and marks, in batches.
/// </summary>
internal static class Workload
{
    public const long Usd = 1_000_000;
    public const int Accounts = 8;
    private const long MarkTicks = 120_000;

    public static CoreExchange Fresh()
    {
        var exchange = new CoreExchange(new ExchangeOptions());
        exchange.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
        });
        return exchange;
    }

    /// <summary>The funding of every account and the first mark.</summary>
    public static List<Command> Opening()
    {
        var commands = new List<Command> { Command.Mark(0, MarkTicks), Command.InsuranceDeposit(10_000 * Usd) };
        for (int account = 1; account <= Accounts; account++)
            commands.Add(Command.DepositTo(account, 100_000 * Usd));
        return commands;
    }

    /// <summary><paramref name="count"/> orders (and now and then a mark) around the mark price.</summary>
    public static List<Command> Orders(Random random, int count)
    {
        var commands = new List<Command>(count);
        for (int i = 0; i < count; i++)
        {
            if (random.Next(50) == 0)
            {
                commands.Add(Command.Mark(0, MarkTicks + random.Next(-200, 201)));
                continue;
            }

            var side = random.Next(2) == 0 ? Side.Buy : Side.Sell;
            long price = MarkTicks + random.Next(-20, 21);
            commands.Add(Command.Limit(1 + random.Next(Accounts), 0, side, price, 1 + random.Next(50)));
        }

        return commands;
    }
}
