using System.Buffers.Binary;
using System.Globalization;
using Exchange.Core.Journal;
using Microsoft.Win32.SafeHandles;

namespace Exchange.Gateway.Streams;

/// <summary>
/// One stream on disk: a directory of append-only files, each named by the sequence number of its first message
/// (20 digits, <c>.msgs</c>), each a run of records exactly as <see cref="MessageLog"/> holds them (header, then the
/// message). Only the writer of the stream touches it (under the stream's lock), plus <see cref="Sync"/> from the
/// store's fsync timer. A file is closed and the next begun once it passes <see cref="RetentionWindow.FileBytes"/>;
/// files wholly before the retention window are deleted.
/// </summary>
internal sealed class StreamFile : IDisposable
{
    private const string Extension = ".msgs";
    private readonly string _directory;
    private readonly long _fileBytes;
    private readonly Lock _sync = new();
    private readonly List<(long First, string Path)> _files = [];
    private SafeFileHandle? _handle;
    private long _length;
    private long _written;
    private long _synced;

    public StreamFile(string directory, long fileBytes)
    {
        _directory = directory;
        _fileBytes = fileBytes;
        Directory.CreateDirectory(directory);
        foreach (var path in Directory.GetFiles(directory, "*" + Extension))
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var first) && first > 0)
                _files.Add((first, path));
        _files.Sort((a, b) => a.First.CompareTo(b.First));
    }

    /// <summary>Bytes in the stream's files (what retention bounds on disk).</summary>
    public long DiskBytes
    {
        get
        {
            long total = 0;
            foreach (var (_, path) in _files)
                if (System.IO.File.Exists(path)) total += new FileInfo(path).Length;
            return total;
        }
    }

    /// <summary>How many files the stream has.</summary>
    public int FileCount => _files.Count;

    /// <summary>
    /// Reads every record back into <paramref name="log"/>. A torn or damaged tail of the last file (a crash in the
    /// middle of a write, or a power loss before the file's pages reached the disk) is cut off; damage anywhere else
    /// is refused, since the messages after it could not be numbered.
    /// </summary>
    public void Load(MessageLog log)
    {
        if (_files.Count == 0) return;
        log.StartAt(_files[0].First);
        var next = _files[0].First;
        for (var f = 0; f < _files.Count; f++)
        {
            var (first, path) = _files[f];
            if (first != next)
                throw new InvalidDataException($"stream file '{path}' starts at message {first}, expected {next}");
            var bytes = System.IO.File.ReadAllBytes(path);
            var lastWriteMs = new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
            var offset = 0;
            while (offset < bytes.Length)
            {
                var rest = bytes.AsSpan(offset);
                if (rest.Length < MessageLog.HeaderLength) break;
                var length = BinaryPrimitives.ReadUInt16LittleEndian(rest);
                if (length == 0 || length > MessageLog.MaxMessageLength || rest.Length < MessageLog.HeaderLength + length) break;
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(rest[2..]);
                if (Crc32C.Compute(rest.Slice(6, 8 + length)) != crc) break;
                log.Restore(rest.Slice(MessageLog.HeaderLength, length), BinaryPrimitives.ReadInt64LittleEndian(rest[6..]), lastWriteMs);
                offset += MessageLog.HeaderLength + length;
                next++;
            }
            if (offset < bytes.Length)
            {
                if (f != _files.Count - 1)
                    throw new InvalidDataException($"stream file '{path}' is damaged at byte {offset} and is not the last");
                using var cut = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Write);
                RandomAccess.SetLength(cut, offset);
            }
        }
    }

    /// <summary>Before a flush whose first message is <paramref name="firstSequence"/>: opens the file to append to,
    /// or begins a new one when the current one is full. True when a new file was begun.</summary>
    public bool Prepare(long firstSequence)
    {
        if (_handle is not null && _length < _fileBytes) return false;
        Open(firstSequence);
        return true;
    }

    /// <summary>Appends <paramref name="records"/> with one write call (no fsync: see <see cref="Sync"/>).</summary>
    public void Write(ReadOnlySpan<byte> records)
    {
        RandomAccess.Write(_handle!, records, _length);
        _length += records.Length;
        Volatile.Write(ref _written, Volatile.Read(ref _written) + records.Length);
    }

    /// <summary>Fsyncs what was written since the last call (the store's timer; beside a concurrent write is safe).</summary>
    public void Sync()
    {
        lock (_sync)
        {
            var written = Volatile.Read(ref _written);
            if (written == _synced || _handle is null) return;
            RandomAccess.FlushToDisk(_handle);
            _synced = written;
        }
    }

    /// <summary>Deletes the files whose every message is before <paramref name="first"/> (never the one being written).</summary>
    public void DeleteBefore(long first)
    {
        while (_files.Count > 1 && _files[1].First <= first)
        {
            System.IO.File.Delete(_files[0].Path);
            _files.RemoveAt(0);
        }
    }

    /// <summary>
    /// A cluster node that installed a snapshot (docs/cluster.md): every file is deleted and the stream goes on at
    /// <paramref name="next"/>, begun at once as an empty file so a restart numbers from there too.
    /// </summary>
    public void Reset(long next)
    {
        lock (_sync)
        {
            if (_handle is not null)
            {
                _handle.Dispose();
                _handle = null;
            }
            foreach (var (_, path) in _files) System.IO.File.Delete(path);
            _files.Clear();
            _length = 0;
            _written = _synced = 0;
        }
        Open(next);
    }

    private void Open(long firstSequence)
    {
        lock (_sync)
        {
            if (_handle is not null)
            {
                RandomAccess.FlushToDisk(_handle);
                _handle.Dispose();
                _handle = null;
            }
            // After a restart the last file is appended to until it is full; otherwise a new file is begun.
            if (_files.Count > 0 && firstSequence != 0)
            {
                var (_, last) = _files[^1];
                var length = new FileInfo(last).Length;
                if (length < _fileBytes && _length == 0 && _written == 0)
                {
                    _handle = System.IO.File.OpenHandle(last, FileMode.Open, FileAccess.Write, FileShare.Read);
                    _length = length;
                    return;
                }
            }
            var path = Path.Combine(_directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
            _handle = System.IO.File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            _files.Add((firstSequence, path));
            _length = 0;
            DirectorySync.Flush(_directory);
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_handle is null) return;
            RandomAccess.FlushToDisk(_handle);
            _handle.Dispose();
            _handle = null;
        }
    }
}
