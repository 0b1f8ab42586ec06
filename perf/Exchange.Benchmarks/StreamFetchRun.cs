using System.Diagnostics;
using System.Net;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Streams;
using Microsoft.Extensions.Logging.Abstractions;

namespace Exchange.Benchmarks;

/// <summary>
/// What a node brought back by a snapshot pays to fill its streams from a peer (docs/cluster.md, "Streams in
/// snapshots"): a peer's order-log stream of MESSAGES messages of BYTES bytes each, on disk; a node holding none of them
/// installs a snapshot at that point and fetches them over 127.0.0.1 (its streams checked and written to its own
/// files); the time from the install to the fill's end, and the snapshot's stream counts in bytes, over ROUNDS rounds.
/// <code>dotnet Exchange.Benchmarks.dll stream-fetch [MESSAGES] [BYTES] [ROUNDS]</code>
/// </summary>
internal static class StreamFetchRun
{
    public static void Run(string[] args)
    {
        var messages = args.Length > 0 ? int.Parse(args[0]) : 1_000_000;
        var bytes = args.Length > 1 ? int.Parse(args[1]) : 48;
        var rounds = args.Length > 2 ? int.Parse(args[2]) : 5;
        var config = ConfigLoader.Default();
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-streamfetch-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            using var peer = new ClusterStreams(config, Path.Combine(root, "peer"), NullLogger.Instance);
            peer.OnStart(0, []);
            peer.OnBarrier(1_800_000_000_000);
            var feed = peer.Set.MarketData.Feed;
            lock (feed.Gate)
            {
                var message = new byte[bytes];
                for (var m = 1; m <= messages; m++)
                {
                    MessageLog.CurrentCommand = m;
                    BitConverter.TryWriteBytes(message, (long)m);
                    feed.Log.Append(message);
                    if ((m & 4095) == 0) feed.Log.Flush();
                }
                MessageLog.CurrentCommand = 0;
                feed.Log.Flush();
            }
            peer.Serve(new IPEndPoint(IPAddress.Loopback, 0), []);
            var counts = peer.Capture();
            Console.WriteLine($"peer: {messages:N0} messages of {bytes} bytes ({(long)messages * (bytes + MessageLog.HeaderLength) / 1e6:F1} MB with headers), " +
                              $"{peer.Set.Store.Named.Count} streams; the snapshot's stream counts: {counts.Length:N0} bytes");
            for (var r = 1; r <= rounds; r++)
            {
                using var node = new ClusterStreams(config, Path.Combine(root, $"node-{r}"), NullLogger.Instance);
                node.OnStart(0, []);
                node.OnBarrier(1_800_000_000_000);
                node.Serve(new IPEndPoint(IPAddress.Loopback, 0), [(1, peer.ServingEndPoint!)]);
                var started = Stopwatch.GetTimestamp();
                node.OnInstalled(messages, counts);
                node.CaughtUpAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var got = node.Set.MarketData.Feed.Log;
                if (got.Published != messages || node.Fetched != messages) throw new InvalidOperationException($"fetched {node.Fetched}, holds {got.Published}");
                Console.WriteLine($"round {r}: fetched {node.Fetched:N0} messages in {ms:F0} ms ({messages / ms * 1000 / 1e6:F2} M messages/s, " +
                                  $"{(long)messages * (bytes + MessageLog.HeaderLength) / ms / 1e3:F0} MB/s)");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
