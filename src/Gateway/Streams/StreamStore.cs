using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Exchange.Core.Journal;
using Microsoft.Win32.SafeHandles;

namespace Exchange.Gateway.Streams;

/// <summary>
/// Where the sequenced streams live: <c>DATA/streams/</c> beside the journal, one directory per stream
/// (<see cref="StreamFile"/>), and the file <c>session</c> holding the SoupBinTCP session id, which therefore stays the
/// same across restarts on the same data directory (a new directory gets a new id). Without a data directory the
/// streams are in memory only and each run is a new session. Under the journal's <c>interval</c> and <c>batch</c>
/// fsync policies a timer fsyncs the files written since its last round every <c>fsyncIntervalMs</c>.
/// <para>The same timer keeps <c>written-through</c>: a command sequence at or below which every command's messages
/// are written to their streams' files (the output side's <see cref="WrittenThrough"/> source, read before the
/// fsync round, so under fsync the mark never passes what is on disk). A restart re-derives the messages of the
/// journaled commands after it (docs/protocol.md section 8). It lags the output by up to a timer period, which only
/// costs a restart the routing of that many more commands again.</para>
/// </summary>
internal sealed class StreamStore : IDisposable
{
    private readonly string? _directory;
    private readonly RetentionWindow _window;
    private readonly List<StreamFile> _files = [];
    private readonly Timer? _timer;
    private readonly bool _syncFiles;
    private readonly Lock _tick = new();
    private SafeFileHandle? _mark;
    private long _markWrites;
    private long _marked = -1;

    /// <param name="dataDirectory">The journal directory; null or empty = in memory.</param>
    /// <param name="configuredSession">The configured session id; blank = the persisted one, or a new one.</param>
    /// <param name="fsyncIntervalMs">Period of the fsync timer; 0 = never fsync (the journal's <c>never</c>).</param>
    /// <param name="markIntervalMs">Period of the written-through mark when nothing is fsynced.</param>
    /// <param name="adoptSession">A cluster node's streams (docs/cluster.md): with no configured and no persisted
    /// session, the id stays blank until the cluster's is known (<see cref="Adopt"/>) instead of a new one being made.</param>
    public StreamStore(string? dataDirectory, RetentionWindow window, string configuredSession, int fsyncIntervalMs, DateTime now,
        int markIntervalMs = 10, bool adoptSession = false)
    {
        _window = window;
        if (string.IsNullOrEmpty(dataDirectory))
        {
            SessionId = configuredSession.Length > 0 ? configuredSession : NewSessionId(now);
            return;
        }
        _directory = Path.Combine(dataDirectory, "streams");
        Directory.CreateDirectory(_directory);
        var sessionFile = Path.Combine(_directory, "session");
        var persisted = File.Exists(sessionFile) ? File.ReadAllText(sessionFile, Encoding.ASCII).Trim() : "";
        SessionId = configuredSession.Length > 0 ? configuredSession : persisted.Length > 0 ? persisted
            : adoptSession ? "" : NewSessionId(now);
        Continued = SessionId == persisted;
        var markPath = Path.Combine(_directory, WrittenThroughFileName);
        if (Continued) WrittenThroughAtStart = ReadMark(markPath);
        if (SessionId != persisted)
        {
            // A new session numbers every stream from 1 again: the old session's messages cannot be replayed into it.
            foreach (var stream in Directory.GetDirectories(_directory)) Directory.Delete(stream, recursive: true);
            if (SessionId.Length > 0) WriteSession(sessionFile, SessionId);
        }
        // The old session's mark describes streams that are gone: a new session begins without one.
        _mark = File.OpenHandle(markPath, Continued ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        _syncFiles = fsyncIntervalMs > 0;
        var period = fsyncIntervalMs > 0 ? fsyncIntervalMs : Math.Max(1, markIntervalMs);
        _timer = new Timer(_ => Tick(), null, period, period);
    }

    private static void WriteSession(string sessionFile, string id)
    {
        var temporary = sessionFile + ".tmp";
        using (var f = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            f.Write(Encoding.ASCII.GetBytes(id));
            f.Flush(flushToDisk: true);
        }
        File.Move(temporary, sessionFile, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(sessionFile)!);
    }

    /// <summary>
    /// A cluster node learns its cluster's session id (from the log's first barrier, or a snapshot): persisted, so
    /// the node continues it after a restart. Only while the id is blank (the streams are then still empty).
    /// </summary>
    public void Adopt(string sessionId)
    {
        if (SessionId.Length > 0 || sessionId.Length == 0) return;
        if (_directory is not null) WriteSession(Path.Combine(_directory, "session"), sessionId);
        SessionId = sessionId;
    }

    /// <summary>The file holding the written-through mark (two 16-byte slots, written in turn: value, CRC32C).</summary>
    public const string WrittenThroughFileName = "written-through";

    /// <summary>Whether this run continues the persisted session, whose streams were loaded (false: a new session, or in memory).</summary>
    public bool Continued { get; }

    /// <summary>
    /// The written-through mark found at start: every message of every command at or below it had been written to its
    /// stream's file before the last stop or crash. Null when unknown: a new session (nothing to re-derive: the old
    /// session's messages are not this one's), or streams of a version before the mark.
    /// </summary>
    public long? WrittenThroughAtStart { get; }

    /// <summary>The output side's written-through sequence (<see cref="Routing.OutboundRouter.WrittenThrough"/>), read by
    /// the timer; none: the mark stays where it is.</summary>
    public Func<long>? WrittenThrough { get; set; }

    /// <summary>Writes the mark now (at start after re-derivation, at a clean stop); only ever forward.</summary>
    public void Mark(long writtenThrough)
    {
        lock (_tick) WriteMark(writtenThrough);
    }

    /// <summary>
    /// Brings the mark up to the output side's <see cref="WrittenThrough"/> now (after an fsync round when files are
    /// fsynced) and returns it: the floor of what snapshot and journal retention may remove, read after each
    /// snapshot (<see cref="Core.Pipeline.PipelineOptions.RetentionFloor"/>), so a mark the timer has not yet written
    /// does not hold back more than it must.
    /// </summary>
    public long MarkNow()
    {
        lock (_tick)
        {
            try
            {
                Round();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The mark stays where it was: retention keeps more.
            }
            return _marked;
        }
    }

    private void Round()
    {
        // Read before the fsync round: what it names was written before, so the round makes it durable first.
        var through = WrittenThrough?.Invoke() ?? -1;
        // Every round, whatever the fsync policy: the files the writer has moved on from are finished (fsynced) here, not on
        // the output thread, and before the mark (StreamFile.Load relies on it).
        SyncAll(_syncFiles);
        WriteMark(through);
        PrefaultAll();
    }

    /// <summary>Maps in the pages each stream's next writes will touch (<see cref="StreamFile.Prefault"/>), on this
    /// timer rather than the output thread.</summary>
    private void PrefaultAll()
    {
        if (!StreamFile.Maps) return;
        lock (_files)
        {
            foreach (var f in _files)
            {
                try
                {
                    f.Prefault();
                }
                catch (ObjectDisposedException)
                {
                    // Closed at shutdown.
                }
            }
        }
    }

    private void Tick()
    {
        if (!_tick.TryEnter()) return; // the previous round is still running
        try
        {
            Round();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // A full disk or a close at shutdown: the mark stays behind, which only makes a restart re-derive more.
        }
        finally
        {
            _tick.Exit();
        }
    }

    private void WriteMark(long through)
    {
        if (through <= _marked || _mark is null) return;
        Span<byte> slot = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(slot, through);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], Crc32C.Compute(slot[..8]));
        // Two slots in turn: a torn write spoils at most the one being written, and the other still holds a mark.
        RandomAccess.Write(_mark, slot, 16 * (_markWrites++ & 1));
        Volatile.Write(ref _marked, through);
    }

    /// <summary>The newest intact slot's value; null when the file is missing or holds none.</summary>
    private static long? ReadMark(string path)
    {
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        long? best = null;
        for (var offset = 0; offset + 16 <= bytes.Length; offset += 16)
        {
            var slot = bytes.AsSpan(offset, 16);
            var value = BinaryPrimitives.ReadInt64LittleEndian(slot);
            if (Crc32C.Compute(slot[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]) && value >= 0 && (best is null || value > best))
                best = value;
        }
        return best;
    }

    /// <summary>The SoupBinTCP session id: persisted with the streams, so a restart continues the same session. Blank
    /// on a cluster node that does not know its cluster's yet (<see cref="Adopt"/>).</summary>
    public string SessionId
    {
        get => Volatile.Read(ref _sessionId);
        private set => Volatile.Write(ref _sessionId, value);
    }

    private string _sessionId = "";

    /// <summary>Every stream opened, by name (a cluster's snapshots carry their message counts by name).</summary>
    public IReadOnlyDictionary<string, MessageLog> Named => _named;

    private readonly Dictionary<string, MessageLog> _named = [];

    /// <summary>Whether streams outlive the process.</summary>
    public bool Persistent => _directory is not null;

    /// <summary>The stream named <paramref name="name"/> (loaded from disk when persisted).</summary>
    public MessageLog Open(string name)
    {
        if (_directory is null) return _named[name] = new MessageLog(_window);
        var file = new StreamFile(Path.Combine(_directory, name), _window.FileBytes, WrittenThroughAtStart);
        lock (_files) _files.Add(file);
        return _named[name] = new MessageLog(_window, file);
    }

    /// <summary>The directory name of a user's stream (user names are case-insensitive and may hold any printable ASCII).</summary>
    public static string UserStreamName(string user) => "user-" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(user.ToLowerInvariant()));

    /// <summary>The directory name of a drop-copy group's stream.</summary>
    public static string DropCopyStreamName(string group) => "dropcopy-" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(group));

    public const string MarketDataStreamName = "marketdata";

    private void SyncAll(bool current)
    {
        StreamFile[] files;
        lock (_files) files = [.. _files];
        foreach (var f in files)
        {
            try
            {
                f.Sync(current);
            }
            catch (ObjectDisposedException)
            {
                // Closed at shutdown between the copy and the call.
            }
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_tick)
        {
            lock (_files)
            {
                foreach (var f in _files) f.Dispose();
                _files.Clear();
            }
            _mark?.Dispose();
            _mark = null;
        }
    }

    /// <summary>
    /// A new session's id: the time in milliseconds since the Unix epoch, in base 36 (8 characters until the year
    /// 2059), so a new data directory never reuses an id a client may still hold.
    /// </summary>
    internal static string NewSessionId(DateTime utc) => NewSessionId((long)(utc - DateTime.UnixEpoch).TotalMilliseconds);

    /// <summary>A session id from a time in milliseconds since the Unix epoch (base 36).</summary>
    internal static string NewSessionId(long ms)
    {
        const string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        Span<char> text = stackalloc char[10];
        var i = text.Length;
        do
        {
            text[--i] = digits[(int)(ms % 36)];
            ms /= 36;
        }
        while (ms > 0 && i > 0);
        return new string(text[i..]);
    }
}
