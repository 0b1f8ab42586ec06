using Exchange.Core.Commands;
using Exchange.Core.Events;
using Exchange.Core.Instruments;
using Exchange.Testing;

namespace Exchange.Core.Tests.Properties;

/// <summary>
/// A shrunk case from the model comparison (seed 8744519472965371049,3525664072891673969): a liquidation whose
/// insurance payment covers the account's remaining deficit names no instrument (-1); the model reported a position
/// for instrument -1 and crashed where the core reports the account alone.
/// </summary>
public sealed class ModelRegressionTests
{
    [Fact]
    public void InsurancePaymentForTheRemainingDeficit_ReportsTheAccountWithoutAPosition()
    {
        var options = new ExchangeOptions { Policy = LossPolicy.Adl, MaxOpenOrdersPerAccount = 1000, MaxFundingRatePpm = 250000, AccountCapacity = 1024, OrderCapacity = 65536, LevelCapacity = 1024 };
        var spec0 = new InstrumentSpec { Name = "I0-24361", TickValue = 25, ImrPpm = 64733, MmrPpm = 26540, MakerFeePpm = -18, TakerFeePpm = 333, LiquidationFeePpm = 16097, BandPpm = 144924, LiquidationBandPpm = 20051, MaxPrice = 487220, MaxOrderLots = 1000000, MaxPositionLots = 10000000 };
        var commands = new Command[]
        {
            new Command { Type = CommandType.Deposit, Sequence = 1, AccountId = 1, Amount = 8526350 },
            new Command { Type = CommandType.Deposit, Sequence = 2, AccountId = 2, Amount = 12789525 },
            new Command { Type = CommandType.Deposit, Sequence = 3, AccountId = 4, Amount = 7917325 },
            new Command { Type = CommandType.SetMark, Sequence = 4, Price = 23936 },
            new Command { Type = CommandType.SetMark, Sequence = 5, Price = 23563 },
            new Command { Type = CommandType.NewOrder, Sequence = 6, AccountId = 1, Side = Side.Buy, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 23224, Quantity = 25 },
            new Command { Type = CommandType.SetMark, Sequence = 7, Price = 23063 },
            new Command { Type = CommandType.NewOrder, Sequence = 8, AccountId = 4, Side = Side.Sell, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 22013, Quantity = 26 },
            new Command { Type = CommandType.NewOrder, Sequence = 9, AccountId = 1, Side = Side.Sell, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 23297, Quantity = 10 },
            new Command { Type = CommandType.SetMark, Sequence = 10, Price = 22806 },
            new Command { Type = CommandType.NewOrder, Sequence = 11, AccountId = 4, Side = Side.Buy, OrderType = OrderType.Market, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelMaker, Quantity = 18 },
            new Command { Type = CommandType.Funding, Sequence = 12, Amount = 216974 },
            new Command { Type = CommandType.SetMark, Sequence = 13, Price = 17594 },
            new Command { Type = CommandType.SetMark, Sequence = 14, Price = 13696 },
            new Command { Type = CommandType.NewOrder, Sequence = 15, AccountId = 2, Side = Side.Buy, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 13598, Quantity = 137 },
            new Command { Type = CommandType.SetMark, Sequence = 16, Price = 13678 },
            new Command { Type = CommandType.SetMark, Sequence = 17, Price = 13451 },
            new Command { Type = CommandType.NewOrder, Sequence = 18, AccountId = 1, Side = Side.Sell, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 13598, Quantity = 29 },
            new Command { Type = CommandType.SetMark, Sequence = 19, Price = 13115 },
            new Command { Type = CommandType.NewOrder, Sequence = 20, AccountId = 2, Side = Side.Sell, OrderType = OrderType.Market, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelMaker, Quantity = 29, ClientOrderId = 6 },
            new Command { Type = CommandType.SetMark, Sequence = 21, Price = 11392 },
            new Command { Type = CommandType.SetMark, Sequence = 22, Price = 7626 },
            new Command { Type = CommandType.SetMark, Sequence = 23, Price = 6559 },
            new Command { Type = CommandType.SetMark, Sequence = 24, Price = 8695 },
            new Command { Type = CommandType.SetMark, Sequence = 25, Price = 5780 },
            new Command { Type = CommandType.NewOrder, Sequence = 26, AccountId = 2, Side = Side.Buy, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 5758, Quantity = 210 },
            new Command { Type = CommandType.SetMark, Sequence = 27, Price = 5618 },
            new Command { Type = CommandType.SetMark, Sequence = 28, Price = 5511 },
            new Command { Type = CommandType.NewOrder, Sequence = 29, AccountId = 1, Side = Side.Sell, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelBoth, Price = 5512, Quantity = 616 },
            new Command { Type = CommandType.SetMark, Sequence = 30, Price = 4872 },
            new Command { Type = CommandType.NewOrder, Sequence = 31, AccountId = 1, Side = Side.Buy, OrderType = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelBoth, Price = 4831, Quantity = 761, ClientOrderId = 5 },
            new Command { Type = CommandType.NewOrder, Sequence = 32, AccountId = 2, Side = Side.Sell, OrderType = OrderType.Market, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelMaker, Quantity = 351 },
            new Command { Type = CommandType.NewOrder, Sequence = 33, AccountId = 2, Side = Side.Buy, OrderType = OrderType.Market, TimeInForce = TimeInForce.Gtc, Stp = SelfTradePrevention.CancelMaker, Quantity = 112, ClientOrderId = 2 },
        };
        var events = ScenarioRunner.CompareWithModel(options, new[] { spec0 }, commands);
        Assert.Contains(events[^1], e => e.Type == EventType.InsurancePayment && e.InstrumentId < 0);
    }
}
