namespace Exchange.Testing;

/// <summary>What an <see cref="Intent"/> asks for; it becomes a concrete command against the state of the moment.</summary>
public enum IntentKind : byte
{
    Deposit,
    InsuranceDeposit,
    /// <summary>Mark at an absolute price (setup).</summary>
    MarkTo,
    /// <summary>Mark moved by <see cref="Intent.X"/> ppm from the current one (random walk, crashes, gaps).</summary>
    MarkMove,
    /// <summary>An order priced <see cref="Intent.X"/> ppm from the mark, sized <see cref="Intent.Y"/> ppm of the lots
    /// the account's equity could hold at full leverage.</summary>
    Order,
    /// <summary>An order of exactly <see cref="Intent.Y"/> lots at <see cref="Intent.X"/> ticks (hand-built states such as
    /// <see cref="Generators.InsolventWhales"/>).</summary>
    ExactOrder,
    /// <summary>An order against the account's position, sized <see cref="Intent.Y"/> ppm of it.</summary>
    CloseOrder,
    Amend,
    Cancel,
    CancelAll,
    Funding,
    /// <summary>A withdrawal of <see cref="Intent.Y"/> ppm of the balance.</summary>
    Withdraw,
    /// <summary>An admin's end of a circuit-breaker halt (rejected when the instrument is not halted).</summary>
    Resume,
    /// <summary>A command that should be rejected (variant in <see cref="Intent.Ref"/>).</summary>
    Invalid,
}
