using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;

namespace Exchange.Benchmarks;

/// <summary>
/// How long a server takes to start on its data directory (the <see cref="GatewayServer"/> constructor: recovery, the
/// streams loaded, re-derivation, the pipeline built; not the listeners), after a clean stop and after a crash, with
/// and without a tail of journaled commands whose messages the crash left unwritten (docs/protocol.md section 8).
/// The directory: 120,000 journaled commands of two traders trading (a resting sell, then a buy that takes it), a
/// snapshot at 100,000, complete streams. <see cref="Tail"/> −1: a clean stop (its final snapshot kept: nothing
/// replayed); 0: a crash with every message written (the final snapshot gone: 20,000 commands replayed from the
/// snapshot at 100,000); N: the same crash with the streams cut back N commands and the written-through mark with them
/// (the state rebuilt at the mark, then N commands applied and routed again).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 7, invocationCount: 1)]
public class RestartBenchmarks
{
    private const int Commands = 120_000;
    private const int SnapshotAt = 100_000;

    [Params(-1, 0, 1_000, 10_000)]
    public int Tail { get; set; }

    private string _template = null!;
    private string _run = null!;
    private GatewayConfig _config = null!;
    private GatewayServer? _server;

    [GlobalSetup]
    public void Setup()
    {
        _template = Path.Combine(Path.GetTempPath(), "exchange-restart-bench-" + Guid.NewGuid().ToString("N"));
        var users = new List<UserConfig>
        {
            new() { Username = "t1", Role = UserConfig.Trader, Account = 1, Password = PasswordHash.Create("pw", 100_000) },
            new() { Username = "t2", Role = UserConfig.Trader, Account = 2, Password = PasswordHash.Create("pw", 100_000) },
            new() { Username = "admin", Role = UserConfig.Admin, Password = PasswordHash.Create("pw", 100_000) },
            new() { Username = "feed", Role = UserConfig.Feed, Password = PasswordHash.Create("pw", 100_000) },
        };
        var defaults = ConfigLoader.Default();
        _config = defaults with
        {
            Port = 0,
            Journal = _template,
            Users = users,
            DropCopy = [],
            Metrics = defaults.Metrics with { Enabled = false },
            Pipeline = defaults.Pipeline with { Fsync = "never", SnapshotEveryCommands = 1_000_000 },
        };
        var admin = users[2].TokenOrigin();
        var feed = users[3].TokenOrigin();

        // The journal (and the snapshot at 100,000), written directly; then a server derives the streams from it.
        var exchange = GatewayServer.BuildExchange(_config);
        var snapshots = new SnapshotStore(Path.Combine(_template, "snapshots"));
        using (var journal = new JournalWriter(new JournalOptions { Directory = _template, Fsync = FsyncPolicy.Never }))
        {
            var mark = 0L;
            uint adminToken = 0, feedToken = 0, t1 = 0, t2 = 0;
            for (long s = 1; s <= Commands; s++)
            {
                Command c;
                if (s <= 2) c = Stamp(Command.DepositTo((int)s, 1_000_000_000_000), admin, ++adminToken);
                else if (s == 3) c = Stamp(Command.Mark(0, mark = 120_000), feed, ++feedToken);
                else if (s % 2 == 0) c = Stamp(Command.Limit(1, 0, Side.Sell, mark + s % 5, 1, clientOrderId: t1 + 1), 1, ++t1);
                else c = Stamp(Command.NewOrder(2, 0, Side.Buy, OrderType.Limit, mark + 5, 1, TimeInForce.Ioc, clientOrderId: t2 + 1), 2, ++t2);
                c.Sequence = s;
                c.Timestamp = 1_700_000_000_000_000_000 + s * 1_000;
                journal.Append(in c);
                exchange.Apply(in c);
                if (s % 1024 == 0) journal.Commit();
                if (s == SnapshotAt)
                {
                    journal.Commit();
                    snapshots.Write(s, SnapshotCodec.Write(exchange));
                }
            }
            journal.Commit();
        }
        // A continued session with the mark at 0: the server writes every stream from the journal, then stops cleanly.
        Directory.CreateDirectory(Path.Combine(_template, "streams"));
        File.WriteAllText(Path.Combine(_template, "streams", "session"), "BENCH");
        WriteMark(_template, 0);
        var derive = new GatewayServer(_config);
        derive.StopAsync().GetAwaiter().GetResult();
    }

    private static Command Stamp(Command c, uint origin, uint token)
    {
        c.Origin = origin;
        c.Token = token;
        return c;
    }

    [IterationSetup]
    public void Prepare()
    {
        _run = _template + "-run";
        if (Directory.Exists(_run)) Directory.Delete(_run, recursive: true);
        Copy(_template, _run);
        if (Tail < 0) return;
        // A crash: no final snapshot; with a tail, every stream cut back to the commands at or below the mark.
        foreach (var s in SnapshotStore.List(Path.Combine(_run, "snapshots")))
            if (s.Sequence > SnapshotAt) File.Delete(s.Path);
        var mark = Commands - Tail;
        foreach (var stream in Directory.GetDirectories(Path.Combine(_run, "streams"))) Cut(stream, mark);
        WriteMark(_run, mark);
    }

    [Benchmark]
    public long Start()
    {
        _server = new GatewayServer(_config with { Journal = _run });
        return _server.Exchange.LastSequence;
    }

    [IterationCleanup]
    public void Stop()
    {
        var report = _server!.Rederivation;
        if (Tail > 0 && (report is null || report.Commands != Tail || report.Mismatched != 0 || report.Appended == 0))
            throw new InvalidOperationException($"re-derivation did not run as expected: {report}");
        _server.StopAsync().GetAwaiter().GetResult();
        _server = null;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var d in new[] { _template, _template + "-run" })
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
    }

    private static void Cut(string directory, long mark)
    {
        var kept = new MemoryStream();
        foreach (var file in Directory.GetFiles(directory, "*.msgs").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            for (var offset = 0; offset + MessageLog.HeaderLength <= bytes.Length;)
            {
                var size = MessageLog.HeaderLength + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
                if ((BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(offset + 6)) & ~MessageLog.OutcomeFlag) > mark) break;
                kept.Write(bytes, offset, size);
                offset += size;
            }
            File.Delete(file);
        }
        File.WriteAllBytes(Path.Combine(directory, 1L.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".msgs"), kept.ToArray());
    }

    private static void WriteMark(string journal, long through)
    {
        var slot = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(slot, through);
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(8), Crc32C.Compute(slot.AsSpan(0, 8)));
        File.WriteAllBytes(Path.Combine(journal, "streams", StreamStore.WrittenThroughFileName), slot);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            if (Path.GetFileName(file) != "LOCK") File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var d in Directory.GetDirectories(from)) Copy(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
