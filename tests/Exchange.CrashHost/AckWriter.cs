using Exchange.Core.Events;
using Exchange.Core.Pipeline;

namespace Exchange.CrashHost;

/// <summary>
/// Writes the sequence of every acknowledged command to stdout, one line each, flushed at once: a line the test has
/// read is an acknowledgement the exchange gave before it was killed.
/// </summary>
internal sealed class AckWriter(TextWriter output) : IOutputHandler
{
    public void OnEvents(long commandSequence, long correlation, ReadOnlySpan<Event> events)
    {
        // The host passes each command's expected sequence as its correlation: a mismatch is a pipeline bug.
        if (correlation != commandSequence)
            output.WriteLine($"error: sequence {commandSequence} acknowledged with correlation {correlation}");
        else
            output.WriteLine(commandSequence);
        output.Flush();
    }
}
