using Exchange.Core.Journal;

namespace Exchange.Core.Pipeline;

/// <summary>
/// The journaler: appends every command of a batch and commits (one write, one fsync per policy) at the batch's end,
/// so a backlog is group-committed. Its processor's sequence moves only after the commit: it is the durability
/// gate the output consumer waits on.
/// </summary>
internal readonly struct JournalHandler(IJournal writer) : IEventHandler<CommandSlot>
{
    public void OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
    {
        // Every command but a late joiner's book query, whose answer belongs to no sequenced stream (Command.IsJournaled).
        if (!data.Refused && data.Command.IsJournaled)
            writer.Append(in data.Command);
        if (endOfBatch)
            writer.Commit();
    }
}
