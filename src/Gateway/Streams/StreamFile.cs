using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Exchange.Core.Journal;
using Microsoft.Win32.SafeHandles;

namespace Exchange.Gateway.Streams;

/// <summary>
/// One stream on disk: a directory of append-only files, each named by the sequence number of its first message
/// (20 digits, <c>.msgs</c>), each a run of records exactly as <see cref="MessageLog"/> holds them (header, then the
/// message). Only the writer of the stream touches it (under the stream's lock), plus <see cref="Sync"/> from the
/// store's fsync timer. A file is closed and the next begun once it passes <see cref="RetentionWindow.FileBytes"/>;
/// files wholly before the retention window are deleted.
/// <para>On Linux the file being written is mapped into memory (<c>mmap</c>, shared): a write is a copy into the
/// mapping, no system call, and the bytes are in the OS's page cache the moment the copy ends, exactly as after a
/// <c>write</c> call, so a kill -9 keeps them. The mapping spans <see cref="Capacity"/> (<c>fileBytes</c> plus one
/// segment); the file itself grows ahead of the writes in doubling steps from 16 KiB with its blocks reserved
/// (<c>posix_fallocate</c>: a full disk fails that call, as a write call would, never a copy), so a stream with little
/// in it takes little disk; it is cut to what was written when the next file begins or the stream closes. After a
/// crash the file being written may end in zeros, which <see cref="Load"/> cuts off as it cuts a torn tail.</para>
/// </summary>
internal sealed unsafe partial class StreamFile : IDisposable
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
    // The mapping of the file being written (Linux; null elsewhere, or when it could not be mapped: then write calls).
    private byte* _map;
    private long _mapped;
    // How far the mapped file extends (its size; reserved on disk): the writes stay below it.
    private long _allocated;
    // How far the store's timer has mapped the file's pages in ahead of the writes (Prefault).
    private long _prefaulted;
    private static bool _populateWorks = true;

    /// <summary>Whether files are mapped (Linux) rather than written with write calls.</summary>
    internal static readonly bool Maps = OperatingSystem.IsLinux();

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

    /// <summary>Bytes in the stream's files (what retention bounds on disk; a mapped file being written counts what it
    /// has reserved, at most <see cref="Capacity"/>, the most a file written with write calls could reach too).</summary>
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

    /// <summary>The span a file being written is mapped over: <c>fileBytes</c> plus a segment, since a file is begun
    /// anew only once it holds <c>fileBytes</c> and one write is at most one 64 KiB segment (<see cref="MessageLog"/>).</summary>
    public long Capacity => _fileBytes + (64 * 1024);

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
        var end = _length + records.Length;
        if (_map is not null && end <= _mapped)
        {
            if (end > _allocated) Grow(end);
            records.CopyTo(new Span<byte>(_map + _length, records.Length));
        }
        else
            RandomAccess.Write(_handle!, records, _length);
        Volatile.Write(ref _length, _length + records.Length);
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
                Unmap();
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
            Close();
            // After a restart the last file is appended to until it is full; otherwise a new file is begun.
            if (_files.Count > 0 && firstSequence != 0)
            {
                var (_, last) = _files[^1];
                var length = new FileInfo(last).Length;
                if (length < _fileBytes && _length == 0 && _written == 0)
                {
                    _handle = System.IO.File.OpenHandle(last, FileMode.Open, Maps ? FileAccess.ReadWrite : FileAccess.Write, FileShare.Read);
                    _length = length;
                    Map();
                    return;
                }
            }
            var path = Path.Combine(_directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
            _handle = System.IO.File.OpenHandle(path, FileMode.CreateNew, Maps ? FileAccess.ReadWrite : FileAccess.Write, FileShare.Read);
            _files.Add((firstSequence, path));
            _length = 0;
            Map();
            DirectorySync.Flush(_directory);
        }
    }

    /// <summary>Maps the file being written over <see cref="Capacity"/> (Linux); the file grows as it is written
    /// (<see cref="Grow"/>). When it cannot be mapped, it is written with write calls. Under <c>_sync</c>.</summary>
    private void Map()
    {
        if (!Maps) return;
        var capacity = Capacity;
        var address = Mmap(0, (nuint)capacity, ProtRead | ProtWrite, MapShared, (int)_handle!.DangerousGetHandle(), 0);
        // Out of mappings (vm.max_map_count) or address space: this file is written with write calls instead.
        if (address == -1) return;
        _map = (byte*)address;
        _mapped = capacity;
        _allocated = _length;
        _prefaulted = _length & ~4095L;
    }

    /// <summary>How far ahead of the writes <see cref="Prefault"/> maps the file's pages in.</summary>
    private const long PrefaultAhead = 256 * 1024;

    /// <summary>
    /// The store's timer (not the writer): maps in, writable, the pages of the mapped file the next writes will touch
    /// (up to <see cref="PrefaultAhead"/> past the end, within the reserved size), so the writer's copies do not take
    /// a page fault each per new 4 KiB page (10–20 µs each on a paravirtualized machine). The contents are not
    /// changed (<c>MADV_POPULATE_WRITE</c>, Linux 5.14 and later; elsewhere nothing), so it is safe beside a copy.
    /// </summary>
    public void Prefault()
    {
        if (!_populateWorks || _map is null || Volatile.Read(ref _length) + (PrefaultAhead / 2) <= Volatile.Read(ref _prefaulted)) return;
        lock (_sync)
        {
            if (_map is null) return;
            var from = Math.Max(_prefaulted, Volatile.Read(ref _length) & ~4095L);
            var to = Math.Min(Volatile.Read(ref _allocated), (Volatile.Read(ref _length) + PrefaultAhead + 4095) & ~4095L);
            if (to <= from) return;
            if (Madvise((nint)(_map + from), (nuint)(to - from), MadvPopulateWrite) != 0)
            {
                // An older kernel (EINVAL): the writer takes its faults, as before.
                if (Marshal.GetLastPInvokeError() == 22) _populateWorks = false;
                return;
            }
            Volatile.Write(ref _prefaulted, to);
        }
    }

    /// <summary>Extends the mapped file to hold at least <paramref name="end"/> bytes, its blocks reserved: a full disk
    /// fails here (an exception, as from a write call) rather than in a copy into the mapping (a signal). The file
    /// doubles from 16 KiB up to <c>fileBytes</c>: a few calls per file.</summary>
    private void Grow(long end)
    {
        // Doubling, but past fileBytes only as far as the write needs: a file then ends as one written with write calls
        // would (rounded up to a page), so retention's bound on disk is unchanged.
        var size = Math.Max(end, Math.Min(_fileBytes, _allocated + Math.Max(16 * 1024, _allocated)));
        size = Math.Min(_mapped, (size + 4095) & ~4095L);
        var error = PosixFallocate((int)_handle!.DangerousGetHandle(), _allocated, size - _allocated);
        if (error != 0) throw new IOException($"stream file in '{_directory}': posix_fallocate failed (errno {error})");
        Volatile.Write(ref _allocated, size);
    }

    /// <summary>Unmaps the file being written and cuts it to what was written. Under <c>_sync</c>.</summary>
    private void Unmap()
    {
        if (_map is null) return;
        Munmap((nint)_map, (nuint)_mapped);
        _map = null;
        _mapped = 0;
        if (_allocated != _length) RandomAccess.SetLength(_handle!, _length);
        _allocated = 0;
    }

    /// <summary>Closes the file being written: unmapped, cut to its length, fsynced. Under <c>_sync</c>.</summary>
    private void Close()
    {
        if (_handle is null) return;
        Unmap();
        RandomAccess.FlushToDisk(_handle);
        _handle.Dispose();
        _handle = null;
    }

    public void Dispose()
    {
        lock (_sync) Close();
    }

    private const int ProtRead = 1, ProtWrite = 2, MapShared = 1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    private const int MadvPopulateWrite = 23;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(int fd, long offset, long length);
}
