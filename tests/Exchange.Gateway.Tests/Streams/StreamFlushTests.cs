using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Tests.Streams;

/// <summary>
/// The output side writes each stream once per output batch (issue 16), and the promise stays: a message is in the
/// stream's file (written to the OS) before any reader can see it, whether woken at the end of the batch or reading
/// the published count mid-send. Real files.
/// </summary>
public sealed class StreamFlushTests : IDisposable
{
    private const int MessageLength = 50;
    private const int RecordLength = MessageLength + MessageLog.HeaderLength;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-streamflush-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static readonly Lazy<PasswordHash> Hash = new(() =>
    {
        PasswordHash.TryParse(PasswordHash.Create("x"), out var h, out _);
        return h!;
    });

    private static readonly RetentionWindow Window = new(10_000_000, 1L << 30, 0, 256 * 1024);

    private UserStream Open() =>
        new(new User("t1", Role.Trader, 1, Hash.Value), new MessageLog(Window, new StreamFile(_directory, Window.FileBytes)));

    private static byte[] Message(long i)
    {
        var m = new byte[MessageLength];
        BitConverter.TryWriteBytes(m, i * 7919);
        m[^1] = (byte)i;
        return m;
    }

    // The bytes of the records the stream's files hold, read back through the OS (no fsync needed: written is what a
    // kill -9 keeps). Records, not file lengths: a mapped file being written is longer than what it holds (zeros after it).
    private long BytesOnDisk()
    {
        long total = 0;
        foreach (var f in Directory.GetFiles(_directory, "*.msgs"))
        {
            using var handle = File.OpenHandle(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var bytes = new byte[RandomAccess.GetLength(handle)];
            // The file may be cut meanwhile (its zeros, when the next file begins): what was read is what counts.
            var read = RandomAccess.Read(handle, bytes, 0);
            for (var offset = 0; offset + MessageLog.HeaderLength <= read;)
            {
                var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
                if (length == 0 || offset + MessageLog.HeaderLength + length > read) break;
                offset += MessageLog.HeaderLength + length;
                total += MessageLog.HeaderLength + length;
            }
        }
        return total;
    }

    [Fact]
    public void OutputBatch_WritesAndPublishesAStreamOnlyAtItsEnd_ASessionThreadAppendFlushesAtOnce()
    {
        var batch = new WakeBatch();
        long n = 0;
        var stream = Open();
        using (var log = stream.Log)
        {
            for (var command = 1; command <= 10; command++)
            {
                MessageLog.CurrentCommand = command;
                lock (stream.Gate)
                {
                    for (var i = 0; i < 3; i++) log.Append(Message(++n));
                    stream.NotifyReaders(batch);
                }
            }
            MessageLog.CurrentCommand = 0;
            // Mid-batch: committed, neither written nor visible.
            Assert.Equal(30, log.Count);
            Assert.Equal(0, log.Published);
            Assert.Equal(0, log.Written);
            Assert.Equal(0, BytesOnDisk());

            batch.Flush();
            Assert.Equal(30, log.Published);
            Assert.Equal(30L * RecordLength, BytesOnDisk());

            // The output side grows the stream again, then a session thread appends (a gateway reject) and notifies at
            // once: its flush writes the batch's messages too, before they become visible.
            lock (stream.Gate)
            {
                log.Append(Message(++n));
                stream.NotifyReaders(batch);
            }
            Assert.Equal(30, log.Published);
            lock (stream.Gate)
            {
                log.Append(Message(++n));
                stream.NotifyReaders();
            }
            Assert.Equal(32, log.Published);
            Assert.Equal(32L * RecordLength, BytesOnDisk());
            batch.Flush();
            Assert.Equal(32, log.Published);
            Assert.Equal(32L * RecordLength, BytesOnDisk());
        }
        using var reopened = new MessageLog(Window, new StreamFile(_directory, Window.FileBytes));
        Assert.Equal(32, reopened.Published);
        for (long i = 1; i <= 32; i++) Assert.Equal(Message(i), reopened.Get(i).ToArray());
    }

    [Fact]
    public void AReader_NeverSeesAMessageThatIsNotYetInTheFile()
    {
        var stream = Open();
        var log = stream.Log;
        const long total = 60_000;
        var done = 0;
        string? failure = null;
        long checks = 0;
        // A reader that is never woken: it polls the published count, as a sender does mid-send, and each count it sees
        // must already be in the file, whole.
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0 && failure is null)
            {
                var published = log.Published;
                var disk = BytesOnDisk();
                if (disk < published * RecordLength)
                    failure = $"published {published} with only {disk} bytes ({disk / RecordLength} messages) in the file";
                checks++;
            }
        });
        reader.Start();

        var random = new Random(16);
        var batch = new WakeBatch();
        long n = 0;
        while (n < total)
        {
            // One output batch: commands of 1-4 messages, some batches large enough to fill a segment or a file.
            var commands = random.Next(8) == 0 ? random.Next(500, 3_000) : random.Next(1, 40);
            for (var c = 0; c < commands && n < total; c++)
            {
                lock (stream.Gate)
                {
                    for (var i = random.Next(1, 5); i > 0; i--) log.Append(Message(++n));
                    stream.NotifyReaders(batch);
                    // Now and then a session thread's reject, flushed and published at once.
                    if (random.Next(200) == 0)
                    {
                        log.Append(Message(++n));
                        stream.NotifyReaders();
                    }
                }
                // Not yet at the end of the batch: whatever is visible is written.
                Assert.True(log.Written >= log.Published);
            }
            batch.Flush();
            Assert.Equal(n, log.Published);
        }
        Volatile.Write(ref done, 1);
        reader.Join();
        Assert.Null(failure);
        Assert.True(checks > 10, $"the reader checked {checks} times");
        Assert.Equal(n * RecordLength, BytesOnDisk());
        log.Dispose();

        using var reopened = new MessageLog(Window, new StreamFile(_directory, Window.FileBytes));
        Assert.Equal(n, reopened.Published);
        for (long i = 1; i <= n; i += 97) Assert.Equal(Message(i), reopened.Get(i).ToArray());
        Assert.Equal(Message(n), reopened.Get(n).ToArray());
    }
}
