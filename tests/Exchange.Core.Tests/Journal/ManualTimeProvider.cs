namespace Exchange.Core.Tests.Journal;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _timestamp = 1_000_000;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => _timestamp;

    public void AdvanceMilliseconds(long milliseconds) => _timestamp += milliseconds * 1000;
}
