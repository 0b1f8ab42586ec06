using Exchange.Core.Commands;

namespace Exchange.Gateway.Stress;

/// <summary>What a stress run produced: every shock's outcome in shock order and the per-account hit counts.</summary>
internal sealed record StressRun(ShockOutcome[] Outcomes, int[] AdlHits, int[] HaircutHits, int Workers);

/// <summary>
/// Runs N independent shocks on <c>workers</c> threads, one <see cref="ShockRunner"/> (and so one exchange at a time)
/// each. Shocks are handed out one by one from a shared counter, but each outcome lands in its shock's slot and each
/// shock's commands depend only on its index, so the result is the same whatever the number of workers.
/// </summary>
internal static class StressEngine
{
    /// <param name="path">The commands of shock k; called from the workers, so it must be thread-safe.</param>
    /// <param name="progress">Told the number of shocks done, from the calling thread, a few times a second.</param>
    public static StressRun Run(StressState state, int shocks, Func<int, IReadOnlyList<Command>> path, int workers,
        Action<int>? progress = null)
    {
        workers = Math.Clamp(workers, 1, Math.Max(1, shocks));
        var outcomes = new ShockOutcome[shocks];
        var runners = new ShockRunner[workers];
        var next = -1;
        var done = 0;
        Exception? failure = null;
        var threads = new Thread[workers];
        for (var w = 0; w < workers; w++)
        {
            var runner = runners[w] = new ShockRunner(state);
            threads[w] = new Thread(() =>
            {
                try
                {
                    int i;
                    while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < shocks)
                    {
                        outcomes[i] = runner.Run(i, path(i));
                        Interlocked.Increment(ref done);
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            }) { IsBackground = true, Name = $"stress-{w}" };
            threads[w].Start();
        }
        foreach (var t in threads)
            while (!t.Join(200)) progress?.Invoke(Volatile.Read(ref done));
        if (failure is not null) throw new InvalidOperationException($"a stress worker failed: {failure.Message}", failure);
        progress?.Invoke(done);
        var adl = new int[state.AccountCount + 1];
        var haircut = new int[state.AccountCount + 1];
        foreach (var r in runners)
            for (var a = 0; a < adl.Length; a++)
            {
                adl[a] += r.AdlHits[a];
                haircut[a] += r.HaircutHits[a];
            }
        return new StressRun(outcomes, adl, haircut, workers);
    }
}
