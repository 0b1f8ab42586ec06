using Exchange.Core;
using Exchange.Core.Commands;
using Exchange.Core.Instruments;

namespace Exchange.CrashHost;

/// <summary>
/// The crash tests' fixed exchange and their deterministic command stream. The stream depends only on the seed, not
/// on the state, so a test can rebuild commands 1..n to check a recovered state against a direct replay. It mixes
/// deposits, resting orders, takers, amends, cancels, withdrawals, funding and mark moves with occasional gaps that
/// liquidate the more leveraged accounts.
/// </summary>
public static class CrashWorkload
{
    public const int Accounts = 60;
    public const long Usd = 1_000_000;

    /// <summary>A fresh exchange with the fixed instruments: BTC-PERP (id 0) and ETH-PERP (id 1).</summary>
    public static Exchange.Core.Exchange CreateExchange()
    {
        var exchange = new Exchange.Core.Exchange(new ExchangeOptions { AccountCapacity = 128, OrderCapacity = 1 << 14, MaxInstruments = 2 });
        exchange.AddInstrument(Spec("BTC-PERP"));
        exchange.AddInstrument(Spec("ETH-PERP"));
        return exchange;
    }

    /// <summary>Commands 1..<paramref name="count"/> for <paramref name="seed"/>: element i is the command with sequence i + 1.</summary>
    public static Command[] Generate(int seed, int count)
    {
        var commands = new Command[count];
        var random = new Random(seed);
        long[] marks = [120_000, 8_000];
        int n = 0;
        void Add(Command command)
        {
            if (n < count)
                commands[n++] = command;
        }

        Add(Command.InsuranceDeposit(10_000 * Usd));
        Add(Command.Mark(0, marks[0]));
        Add(Command.Mark(1, marks[1]));
        for (int a = 1; a <= Accounts; a++)
            Add(Command.DepositTo(a, (500 + random.Next(4_000)) * Usd));

        while (n < count)
        {
            int account = 1 + random.Next(Accounts);
            int instrument = random.Next(2);
            var side = random.Next(2) == 0 ? Side.Buy : Side.Sell;
            long mark = marks[instrument];
            long step = Math.Max(1, mark / 2_000);
            switch (random.Next(20))
            {
                case < 8:
                    long offset = step * random.Next(1, 20);
                    Add(Command.Limit(account, instrument, side, side == Side.Buy ? mark - offset : mark + offset,
                        1 + random.Next(40), clientOrderId: 1 + random.Next(50)));
                    break;
                case < 11:
                    Add(Command.Limit(account, instrument, side, side == Side.Buy ? mark + 10 * step : mark - 10 * step,
                        1 + random.Next(30), TimeInForce.Ioc));
                    break;
                case 11:
                    Add(Command.Market(account, instrument, side, 1 + random.Next(10)));
                    break;
                case < 14:
                    Add(Command.CancelOrder(account, 0, clientOrderId: 1 + random.Next(50)));
                    break;
                case 14:
                    Add(Command.AmendOrder(account, 0, 0, 1 + random.Next(20), clientOrderId: 1 + random.Next(50)));
                    break;
                case 15:
                    Add(random.Next(3) == 0
                        ? Command.WithdrawFrom(account, (1 + random.Next(200)) * Usd)
                        : Command.DepositTo(account, (1 + random.Next(500)) * Usd));
                    break;
                case 16:
                    Add(Command.CancelAllOrders(account));
                    break;
                case 17:
                    Add(Command.FundingAt(instrument, random.Next(-300, 300)));
                    break;
                default:
                    // A random walk of the mark, with a rare gap of 4-8% that sends leveraged accounts into liquidation.
                    long move = random.Next(50) == 0 ? mark * random.Next(40, 80) / 1_000 : step * random.Next(1, 8);
                    mark = Math.Clamp(random.Next(2) == 0 ? mark + move : mark - move, 1_000, 9_000_000);
                    marks[instrument] = mark;
                    Add(Command.Mark(instrument, mark));
                    break;
            }
        }

        return commands;
    }

    private static InstrumentSpec Spec(string name) => new()
    {
        Name = name, TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
        LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
        MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
    };
}
