using BenchmarkDotNet.Running;

namespace Exchange.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "paired-liquidation") PairedLiquidation.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "paired-snapshot") PairedSnapshot.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "ring-placement") RingPlacement.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "cluster-snapshot-pause") ClusterSnapshotPause.Run(args[1..]);
        else if (args.Length > 0 && args[0] == "stream-fetch") StreamFetchRun.Run(args[1..]);
        else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
