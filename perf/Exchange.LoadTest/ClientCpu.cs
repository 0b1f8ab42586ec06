namespace Exchange.LoadTest;

/// <summary>
/// The CPU time of this process's threads that a TCP step runs (Linux <c>/proc/self/task/*/schedstat</c>, read by <see cref="ServerCpu.Threads"/>, nanoseconds,
/// user and system together): the pacing thread (the caller's own, <see cref="ThreadCpu"/>), the receivers of the
/// target's connections (<c>gw recv N</c> or <c>echo recv N</c>) and the in-process echo server's threads (<c>echo</c>,
/// one per connection). Over a step, divided by its commands, the echo's figure is the bare loopback's cost per
/// command beside the gateway's <see cref="ServerCpu"/>, and pacing plus receivers is what the load generator takes of
/// the same CPUs. All zero where it cannot be read.
/// </summary>
internal readonly record struct ClientCpu(long PacingNs, long ReceiversNs, long EchoNs)
{
    public static ClientCpu operator -(ClientCpu a, ClientCpu b) =>
        new(a.PacingNs - b.PacingNs, a.ReceiversNs - b.ReceiversNs, a.EchoNs - b.EchoNs);

    /// <summary>Reads the calling (pacing) thread and the threads whose name starts with <paramref name="receivers"/>
    /// (the target's receive threads), and the echo server's threads.</summary>
    public static ClientCpu Read(string receivers)
    {
        var pacing = ThreadCpu.Nanoseconds();
        long received = 0, echo = 0;
        foreach (var (comm, ns) in ServerCpu.Threads(Environment.ProcessId).Values)
        {
            if (comm.StartsWith(receivers, StringComparison.Ordinal)) received += ns;
            else if (comm == "echo") echo += ns;
        }
        return new(pacing, received, echo);
    }

    private static string Us(long ns, long commands) =>
        (ns / 1000.0 / Math.Max(1, commands)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"pacing + receivers" in µs per command: the load generator's share.</summary>
    public string LoadPerCommand(long commands) => $"{Us(PacingNs + ReceiversNs, commands)} ({Us(PacingNs, commands)} / {Us(ReceiversNs, commands)})";

    /// <summary>The echo server's threads in µs per command.</summary>
    public string EchoPerCommand(long commands) => Us(EchoNs, commands);
}
