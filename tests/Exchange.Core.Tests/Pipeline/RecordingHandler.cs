using Exchange.Core.Pipeline;

namespace Exchange.Core.Tests.Pipeline;

/// <summary>Records every event into an <see cref="EventLog"/>.</summary>
internal readonly struct RecordingHandler(EventLog log) : IEventHandler<TestEvent>
{
    public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch) => log.Add(data.Value, sequence, endOfBatch);
}
