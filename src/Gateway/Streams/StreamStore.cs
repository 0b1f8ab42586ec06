using System.Globalization;
using System.Text;
using Exchange.Core.Journal;

namespace Exchange.Gateway.Streams;

/// <summary>
/// Where the sequenced streams live: <c>DATA/streams/</c> beside the journal, one directory per stream
/// (<see cref="StreamFile"/>), and the file <c>session</c> holding the SoupBinTCP session id, which therefore stays the
/// same across restarts on the same data directory (a new directory gets a new id). Without a data directory the
/// streams are in memory only and each run is a new session. Under the journal's <c>interval</c> and <c>batch</c>
/// fsync policies a timer fsyncs the files written since its last round every <c>fsyncIntervalMs</c>.
/// </summary>
internal sealed class StreamStore : IDisposable
{
    private readonly string? _directory;
    private readonly RetentionWindow _window;
    private readonly List<StreamFile> _files = [];
    private readonly Timer? _fsync;

    /// <param name="dataDirectory">The journal directory; null or empty = in memory.</param>
    /// <param name="configuredSession">The configured session id; blank = the persisted one, or a new one.</param>
    /// <param name="fsyncIntervalMs">Period of the fsync timer; 0 = never fsync (the journal's <c>never</c>).</param>
    public StreamStore(string? dataDirectory, RetentionWindow window, string configuredSession, int fsyncIntervalMs, DateTime now)
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
        SessionId = configuredSession.Length > 0 ? configuredSession : persisted.Length > 0 ? persisted : NewSessionId(now);
        if (SessionId != persisted)
        {
            // A new session numbers every stream from 1 again: the old session's messages cannot be replayed into it.
            foreach (var stream in Directory.GetDirectories(_directory)) Directory.Delete(stream, recursive: true);
            var temporary = sessionFile + ".tmp";
            using (var f = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                f.Write(Encoding.ASCII.GetBytes(SessionId));
                f.Flush(flushToDisk: true);
            }
            File.Move(temporary, sessionFile, overwrite: true);
            DirectorySync.Flush(_directory);
        }
        if (fsyncIntervalMs > 0) _fsync = new Timer(_ => SyncAll(), null, fsyncIntervalMs, fsyncIntervalMs);
    }

    /// <summary>The SoupBinTCP session id: persisted with the streams, so a restart continues the same session.</summary>
    public string SessionId { get; }

    /// <summary>Whether streams outlive the process.</summary>
    public bool Persistent => _directory is not null;

    /// <summary>The stream named <paramref name="name"/> (loaded from disk when persisted).</summary>
    public MessageLog Open(string name)
    {
        if (_directory is null) return new MessageLog(_window);
        var file = new StreamFile(Path.Combine(_directory, name), _window.FileBytes);
        lock (_files) _files.Add(file);
        return new MessageLog(_window, file);
    }

    /// <summary>The directory name of a user's stream (user names are case-insensitive and may hold any printable ASCII).</summary>
    public static string UserStreamName(string user) => "user-" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(user.ToLowerInvariant()));

    /// <summary>The directory name of a drop-copy group's stream.</summary>
    public static string DropCopyStreamName(string group) => "dropcopy-" + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(group));

    public const string MarketDataStreamName = "marketdata";

    private void SyncAll()
    {
        StreamFile[] files;
        lock (_files) files = [.. _files];
        foreach (var f in files)
        {
            try
            {
                f.Sync();
            }
            catch (ObjectDisposedException)
            {
                // Closed at shutdown between the copy and the call.
            }
        }
    }

    public void Dispose()
    {
        _fsync?.Dispose();
        lock (_files)
        {
            foreach (var f in _files) f.Dispose();
            _files.Clear();
        }
    }

    /// <summary>
    /// A new session's id: the time in milliseconds since the Unix epoch, in base 36 (8 characters until the year
    /// 2059), so a new data directory never reuses an id a client may still hold.
    /// </summary>
    internal static string NewSessionId(DateTime utc)
    {
        const string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var ms = (long)(utc - DateTime.UnixEpoch).TotalMilliseconds;
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
