namespace Exchange.Core.Events;

/// <summary>
/// Which accounts an event changed the balance or position of (<see cref="EventType"/> lists them): a
/// <see cref="EventType.Trade"/> or <see cref="EventType.AdlClosure"/> both accounts in the instrument; a
/// <see cref="EventType.LiquidationFee"/> or <see cref="EventType.InsurancePayment"/> its account in the instrument; a
/// <see cref="EventType.Funding"/> (which moves the balance, never the position's size, cost or unrealized PnL), a deposit to an account, a <see cref="EventType.Withdrawn"/>, a
/// <see cref="EventType.Haircut"/> (the payer) and a <see cref="EventType.LiquidationEnded"/> (which covers everything
/// else the liquidation did to the account) its balance. Every change the core makes to an account is followed by one
/// of these right away (a bankrupt account's haircut and exchange-loss credits by the LiquidationEnded that closes
/// that step), so what the events touched is what changed.
/// </summary>
internal static class EventTouches
{
    /// <summary>Returns how many accounts <paramref name="e"/> touched (0 to 2): <paramref name="first"/>, then
    /// <paramref name="second"/>; <paramref name="instrument"/> is -1 when only the balance changed.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int Accounts(in Event e, out int first, out int second, out int instrument)
    {
        first = e.AccountId;
        second = e.CounterpartyId;
        instrument = e.InstrumentId;
        switch (e.Type)
        {
            case EventType.Trade:
            case EventType.AdlClosure:
                return 2;
            case EventType.LiquidationFee:
            case EventType.InsurancePayment:
                return 1;
            case EventType.Funding:
                instrument = -1;
                return 1;
            case EventType.Deposited:
                instrument = -1;
                return e.AccountId != 0 ? 1 : 0;
            case EventType.Withdrawn:
            case EventType.Haircut:
            case EventType.LiquidationEnded:
                instrument = -1;
                return 1;
            default:
                return 0;
        }
    }
}
