using Exchange.Core.Commands;

namespace Exchange.Core.Pipeline;

/// <summary>A slot of the pipeline's input ring: the command as stamped at entry and the caller's routing id.</summary>
internal struct CommandSlot
{
    public Command Command;
    public long Correlation;

    /// <summary>
    /// The slot was claimed while the pipeline was shutting down: it is published only so the consumers can pass
    /// it, neither journaled nor applied, and its publisher was told false.
    /// </summary>
    public bool Refused;
}
