namespace Exchange.Benchmarks;

/// <summary>
/// The measurement the paired A/B modes share (<see cref="PairedLiquidation"/>, <see cref="PairedSnapshot"/>): warm-up
/// rounds over every build's subject (with pauses, so the shared methods reach tier 1), then single calls alternating
/// between the builds, rotating which goes first; prints each build's thread CPU per call (p10, median, mean) and the
/// median ratio of each build's paired calls against the first build's.
/// </summary>
internal static class PairedCalls
{
    /// <param name="dirs">The build directories, as given (for the report).</param>
    /// <param name="call">One call per build, returning its thread CPU time in ns.</param>
    /// <param name="what">What one call is, for the report (e.g. "10000 Socialize").</param>
    public static void Run(string[] dirs, Func<long>[] call, int warmRounds, int calls, string what)
    {
        for (var round = 1; round <= warmRounds; round++)
        {
            foreach (var c in call) c();
            if (round % 10 == 0) Thread.Sleep(20);
        }
        var cpu = call.Select(_ => new long[calls]).ToArray();
        for (var i = 0; i < calls; i++)
            for (var k = 0; k < call.Length; k++)
            {
                var j = (i + k) % call.Length;
                cpu[j][i] = call[j]();
            }
        for (var k = 0; k < call.Length; k++)
        {
            var sorted = cpu[k].Order().ToArray();
            Console.WriteLine($"{dirs[k]}: {what}, thread CPU per call: p10 {sorted[calls / 10] / 1e3:F1} us, median {sorted[calls / 2] / 1e3:F1} us, mean {cpu[k].Average() / 1e3:F1} us");
        }
        for (var k = 1; k < call.Length; k++)
        {
            var ratios = Enumerable.Range(0, calls).Select(i => (double)cpu[k][i] / cpu[0][i]).Order().ToArray();
            Console.WriteLine($"{dirs[k]} / {dirs[0]}: median ratio of paired calls {ratios[calls / 2]:F3}");
        }
    }
}
