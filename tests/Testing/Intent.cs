using Exchange.Core.Commands;

namespace Exchange.Testing;

/// <summary>
/// One generated step of a scenario, relative to the state it meets (mark, equity, open orders), so that a shrunk
/// scenario still makes sense. <see cref="ScenarioDriver"/> turns it into a <see cref="Command"/>.
/// </summary>
public sealed record Intent(
    IntentKind Kind,
    int Account = 0,
    int Instrument = 0,
    Side Side = Side.Buy,
    OrderType Type = OrderType.Limit,
    TimeInForce Tif = TimeInForce.Gtc,
    OrderFlags Flags = OrderFlags.None,
    SelfTradePrevention Stp = SelfTradePrevention.CancelTaker,
    long X = 0,
    long Y = 0,
    long ClientOrderId = 0,
    int Ref = 0,
    bool ByClientId = false);
