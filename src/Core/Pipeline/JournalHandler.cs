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
        // A query changes nothing: replaying without it gives the same state, so it is never journaled.
        if (!data.Refused && !data.Command.IsQuery)
            writer.Append(in data.Command);
        if (endOfBatch)
            writer.Commit();
    }
}
