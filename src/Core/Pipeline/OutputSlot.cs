namespace Exchange.Core.Pipeline;

/// <summary>
/// A slot of the pipeline's output ring: a header naming the command and up to <see cref="Capacity"/> of its events
/// inline. A command with more events (a liquidation cascade can cause thousands) takes several consecutive slots,
/// each carrying the command's total and the chunk's offset; the output consumer reassembles them.
/// </summary>
/// <remarks>
/// Eight events cover the common commands (an accepted or rejected order, a fill or two, a cancel) in one slot of
/// about 0.9 KB, which the output handler reads in place without a copy; only multi-slot commands are copied.
/// </remarks>
internal struct OutputSlot
{
    /// <summary>Events per slot.</summary>
    public const int Capacity = 8;

    /// <summary>The command's sequence in the input ring: what the durability gate compares with the journaler's.</summary>
    public long InputSequence;

    /// <summary>The command's <see cref="Commands.Command.Sequence"/>.</summary>
    public long CommandSequence;

    public long Correlation;

    /// <summary>How many events the command caused in all.</summary>
    public int Total;

    /// <summary>The index, among the command's events, of this slot's first event.</summary>
    public int Offset;

    /// <summary>How many events this slot holds.</summary>
    public int Count;

    public EventChunk Events;
}
