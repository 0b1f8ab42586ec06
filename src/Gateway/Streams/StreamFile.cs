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
/// files wholly before the retention window are deleted (by the store's timer, <see cref="Sync"/>).
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
    private readonly long? _writtenThrough;
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
    // Files the writer has finished with (a roll): the store's timer unmaps, cuts, fsyncs and closes them (Sync), so a
    // roll costs the writer no fsync. Under _sync.
    private readonly List<Retired> _retired = [];
    // Files retention dropped, for the timer to delete (Sync), oldest first. Under _sync.
    private readonly List<string> _deleting = [];
    // A file was created since the directory was last fsynced (the timer fsyncs it). Under _sync.
    private bool _created;
    // An fsync of this stream's files failed: every later Sync fails too, so the written-through mark never passes it.
    private Exception? _syncFailure;

    /// <summary>A file the writer has finished with, waiting for the timer: its handle and its mapping.</summary>
    private readonly record struct Retired(SafeFileHandle Handle, nint Map, long Mapped, long Length, long Allocated);

    /// <summary>Whether files are mapped (Linux) rather than written with write calls.</summary>
    internal static readonly bool Maps = OperatingSystem.IsLinux();

    /// <param name="directory">The stream's directory.</param>
    /// <param name="fileBytes">Size at which a file is closed and the next begun.</param>
    /// <param name="writtenThrough">The store's written-through mark found at start (null: unknown): what <see cref="Load"/>
    /// may let go after a power loss is bounded by it.</param>
    public StreamFile(string directory, long fileBytes, long? writtenThrough = null)
    {
        _directory = directory;
        _fileBytes = fileBytes;
        _writtenThrough = writtenThrough;
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
            lock (_sync)
            {
                foreach (var (_, path) in _files)
                    if (System.IO.File.Exists(path)) total += new FileInfo(path).Length;
                foreach (var path in _deleting)
                    if (System.IO.File.Exists(path)) total += new FileInfo(path).Length;
            }
            return total;
        }
    }

    /// <summary>The span a file being written is mapped over: <c>fileBytes</c> plus a segment, since a file is begun
    /// anew only once it holds <c>fileBytes</c> and one write is at most one 64 KiB segment (<see cref="MessageLog"/>).</summary>
    public long Capacity => _fileBytes + (64 * 1024);

    /// <summary>How many files the stream has.</summary>
    public int FileCount => _files.Count;

    /// <summary>
    /// Reads every record back into <paramref name="log"/>. What follows the last whole record of a file is cut off: a
    /// torn tail (a crash in the middle of a write, a power loss before the file's pages reached the disk) or the zeros
    /// a mapped file is reserved ahead with (a kill before the file was cut, even when the writer had moved on to the
    /// next file: then the next file's name says no message is missing).
    /// <para>A file that lost messages while newer files exist (fewer records than the next file's name says, or a
    /// missing file between two) is what a power loss leaves when the writer had moved on before the store's timer
    /// fsynced the file (a roll does not wait for it). That is accepted only where a power loss can have left it: the
    /// timer fsyncs every file the writer finished with before it writes a written-through mark, so the records after the
    /// loss must all be of commands after the mark found at start (the first one read says so: they are in command
    /// order). Then the stream ends where the loss begins (the file is cut there, the newer files deleted) and the start's
    /// re-derivation writes back everything after the mark. Anything else (no mark, or a record at or below it after the
    /// loss) is damage, refused: the messages after it could not be numbered as clients saw them.</para>
    /// </summary>
    public void Load(MessageLog log)
    {
        if (_files.Count == 0) return;
        log.StartAt(_files[0].First);
        var next = _files[0].First;
        for (var f = 0; f < _files.Count; f++)
        {
            var (first, path) = _files[f];
            if (first < next)
                throw new InvalidDataException($"stream file '{path}' starts at message {first}, expected {next}");
            if (first > next)
            {
                // A missing file (its directory entry did not reach the disk): the stream ends before it, if it may.
                LetGoFrom(f, next, $"messages {next}..{first - 1} (no file holds them)");
                return;
            }
            var bytes = System.IO.File.ReadAllBytes(path);
            var lastWriteMs = new DateTimeOffset(System.IO.File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
            var offset = 0;
            while (offset < bytes.Length && RecordLength(bytes.AsSpan(offset)) is var length and > 0)
            {
                var rest = bytes.AsSpan(offset);
                log.Restore(rest.Slice(MessageLog.HeaderLength, length), BinaryPrimitives.ReadInt64LittleEndian(rest[6..]), lastWriteMs);
                offset += MessageLog.HeaderLength + length;
                next++;
            }
            if (offset == bytes.Length) continue;
            var last = f == _files.Count - 1;
            if (!last && _files[f + 1].First > next)
                LetGoFrom(f + 1, next, $"messages {next}..{_files[f + 1].First - 1} (file '{path}' is damaged at byte {offset})");
            using var cut = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.SetLength(cut, offset);
        }
    }

    /// <summary>The message length of the record at the start of <paramref name="rest"/>; 0 when it is not whole
    /// (short, a zero or too large length, or a CRC32C that does not match).</summary>
    private static int RecordLength(ReadOnlySpan<byte> rest)
    {
        if (rest.Length < MessageLog.HeaderLength) return 0;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        if (length == 0 || length > MessageLog.MaxMessageLength || rest.Length < MessageLog.HeaderLength + length) return 0;
        return Crc32C.Compute(rest.Slice(6, 8 + length)) == BinaryPrimitives.ReadUInt32LittleEndian(rest[2..]) ? length : 0;
    }

    /// <summary>
    /// Load: the messages from <paramref name="lost"/> on are not on disk though files from <c>_files[from]</c> on exist.
    /// The stream ends at <paramref name="lost"/> (those files deleted, the directory fsynced) when a power loss can have
    /// left this (see <see cref="Load"/>); otherwise refused.
    /// </summary>
    private void LetGoFrom(int from, long lost, string what)
    {
        var after = FirstCommandIn(from);
        if (after is { } command && (_writtenThrough is not { } mark || command == 0 || command <= mark))
            throw new InvalidDataException($"stream '{_directory}': {what} are missing while a newer file holds a message of command " +
                $"{command}, at or below the written-through mark ({(_writtenThrough is { } m ? m.ToString(CultureInfo.InvariantCulture) : "none")}): " +
                "damage, not a power loss; refused");
        for (var i = _files.Count - 1; i >= from; i--)
        {
            System.IO.File.Delete(_files[i].Path);
            _files.RemoveAt(i);
        }
        DirectorySync.Flush(_directory);
    }

    /// <summary>The command of the first whole record in the files from <c>_files[from]</c> on (null: none holds one).</summary>
    private long? FirstCommandIn(int from)
    {
        for (var i = from; i < _files.Count; i++)
        {
            var bytes = System.IO.File.ReadAllBytes(_files[i].Path);
            if (RecordLength(bytes) > 0) return BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(6)) & ~MessageLog.OutcomeFlag;
        }
        return null;
    }
    /// <summary>Before a flush whose first message is <paramref name="firstSequence"/>: opens the file to append to,
    /// or begins a new one when the current one is full. True when a new file was begun.</summary>
    public bool Prepare(long firstSequence)
    {
        if (_handle is not null && _length < _fileBytes) return false;
        Open(firstSequence);
        return true;
    }

    /// <summary>Appends <paramref name="records"/> with one copy into the mapping, or one write call (no fsync: see <see cref="Sync"/>).</summary>
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

    /// <summary>
    /// The store's timer (one thread; beside the writer is safe): finishes the files the writer has moved on from
    /// (unmapped, cut to what they hold, fsynced, closed), then fsyncs the directory when a file was created in it, then,
    /// when <paramref name="current"/>, fsyncs what was written to the file being written since the last call. In that
    /// order, so when it returns every file the writer had finished with when it began is whole on disk (the
    /// written-through mark is written after it: <see cref="Load"/> relies on that). No lock is held across an fsync, so
    /// a roll never waits for one.
    /// </summary>
    public void Sync(bool current = true)
    {
        if (_syncFailure is not null) throw new IOException($"stream '{_directory}': an earlier fsync failed", _syncFailure);
        SafeFileHandle? handle;
        long written;
        Retired[]? retired = null;
        string[]? deleting = null;
        bool created;
        lock (_sync)
        {
            handle = _handle;
            written = Volatile.Read(ref _written);
            if (_retired.Count > 0)
            {
                retired = [.. _retired];
                _retired.Clear();
            }
            created = _created;
            _created = false;
            if (_deleting.Count > 0)
            {
                deleting = [.. _deleting];
                _deleting.Clear();
            }
        }
        try
        {
            if (retired is not null) Finish(retired);
            if (deleting is not null)
                foreach (var path in deleting) System.IO.File.Delete(path);
            if (created) DirectorySync.Flush(_directory);
            if (current && handle is not null && written != _synced)
            {
                RandomAccess.FlushToDisk(handle);
                _synced = written;
            }
        }
        catch (IOException e)
        {
            _syncFailure = e;
            throw;
        }
    }

    /// <summary>Unmaps, cuts to its length, fsyncs and closes each file (every handle is closed even when one fails).</summary>
    private static void Finish(Retired[] retired)
    {
        Exception? failure = null;
        foreach (var r in retired)
        {
            try
            {
                if (r.Map != 0)
                {
                    Munmap(r.Map, (nuint)r.Mapped);
                    if (r.Allocated != r.Length) RandomAccess.SetLength(r.Handle, r.Length);
                }
                RandomAccess.FlushToDisk(r.Handle);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                failure ??= e;
            }
            finally
            {
                r.Handle.Dispose();
            }
        }
        if (failure is IOException io) throw io;
    }

    /// <summary>Drops the files whose every message is before <paramref name="first"/> (never the one being written):
    /// the store's timer deletes them (<see cref="Sync"/>; an unlink of a full file took 30-75 ms on the output thread
    /// under load), oldest first.</summary>
    public void DeleteBefore(long first)
    {
        if (_files.Count < 2 || _files[1].First > first) return;
        lock (_sync)
        {
            while (_files.Count > 1 && _files[1].First <= first)
            {
                _deleting.Add(_files[0].Path);
                _files.RemoveAt(0);
            }
        }
    }

    /// <summary>Files dropped by retention that the timer has not yet deleted.</summary>
    public int PendingDeletes
    {
        get
        {
            lock (_sync) return _deleting.Count;
        }
    }

    /// <summary>
    /// A cluster node that installed a snapshot (docs/cluster.md): every file is deleted and the stream goes on at
    /// <paramref name="next"/>, begun at once as an empty file so a restart numbers from there too (the directory is
    /// fsynced here: rare, and not the output thread's steady path).
    /// </summary>
    public void Reset(long next)
    {
        lock (_sync)
        {
            RetireCurrent();
            foreach (var (_, path) in _files) System.IO.File.Delete(path);
            foreach (var path in _deleting) System.IO.File.Delete(path);
            _files.Clear();
            _deleting.Clear();
            _length = 0;
        }
        Open(next);
        DirectorySync.Flush(_directory);
    }

    /// <summary>Hands the file being written to the timer (<see cref="Sync"/>). Under <c>_sync</c>.</summary>
    private void RetireCurrent()
    {
        if (_handle is null) return;
        _retired.Add(new Retired(_handle, (nint)_map, _mapped, _length, _allocated));
        _handle = null;
        _map = null;
        _mapped = 0;
        _allocated = 0;
    }

    /// <summary>
    /// The writer: opens the file to write from <paramref name="firstSequence"/> on. The file it was writing goes to the
    /// store's timer to be finished (<see cref="Sync"/>), and so does the fsync of the directory for the new file: the
    /// roll itself is an open, a map and a pointer swap.
    /// </summary>
    private void Open(long firstSequence)
    {
        SafeFileHandle? handle = null;
        long length = 0;
        string? created = null;
        // After a restart the last file is appended to until it is full; otherwise a new file is begun.
        if (_handle is null && _written == 0 && _files.Count > 0 && firstSequence != 0)
        {
            var (_, last) = _files[^1];
            var size = new FileInfo(last).Length;
            if (size < _fileBytes)
            {
                handle = System.IO.File.OpenHandle(last, FileMode.Open, Maps ? FileAccess.ReadWrite : FileAccess.Write, FileShare.Read);
                length = size;
            }
        }
        if (handle is null)
        {
            created = Path.Combine(_directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
            handle = System.IO.File.OpenHandle(created, FileMode.CreateNew, Maps ? FileAccess.ReadWrite : FileAccess.Write, FileShare.Read);
        }
        // Mapped before the swap: nothing else sees the new handle yet.
        var (map, mapped) = Map(handle);
        lock (_sync)
        {
            RetireCurrent();
            _handle = handle;
            _map = (byte*)map;
            _mapped = mapped;
            _allocated = length;
            _prefaulted = length & ~4095L;
            Volatile.Write(ref _length, length);
            if (created is not null)
            {
                _files.Add((firstSequence, created));
                _created = true;
            }
        }
    }

    /// <summary>Maps a file to be written over <see cref="Capacity"/> (Linux); the file grows as it is written
    /// (<see cref="Grow"/>). Null when it cannot be mapped: it is written with write calls.</summary>
    private (nint Map, long Mapped) Map(SafeFileHandle handle)
    {
        if (!Maps) return (0, 0);
        var capacity = Capacity;
        var address = Mmap(0, (nuint)capacity, ProtRead | ProtWrite, MapShared, (int)handle.DangerousGetHandle(), 0);
        // Out of mappings (vm.max_map_count) or address space: this file is written with write calls instead.
        if (address == -1) return (0, 0);
        return (address, capacity);
    }

    /// <summary>How far ahead of the writes <see cref="Prefault"/> maps the file's pages in.</summary>
    private const long PrefaultAhead = 256 * 1024;

    /// <summary>
    /// The store's timer (not the writer): maps in, writable, the pages of the mapped file the next writes will touch
    /// (up to <see cref="PrefaultAhead"/> past the end, within the reserved size), so the writer's copies do not take
    /// a page fault each per new 4 KiB page (10–20 µs each on a paravirtualized machine). The contents are not
    /// changed (<c>MADV_POPULATE_WRITE</c>, Linux 5.14 and later; elsewhere nothing), so it is safe beside a copy. The
    /// call is made outside the lock, so a roll does not wait for it: the mapping stays mapped meanwhile, since only
    /// this timer (<see cref="Sync"/>) or the close unmaps one, never during this call.
    /// </summary>
    public void Prefault()
    {
        if (!_populateWorks || _map is null || Volatile.Read(ref _length) + (PrefaultAhead / 2) <= Volatile.Read(ref _prefaulted)) return;
        byte* map;
        long from, to;
        lock (_sync)
        {
            map = _map;
            if (map is null) return;
            from = Math.Max(_prefaulted, Volatile.Read(ref _length) & ~4095L);
            to = Math.Min(Volatile.Read(ref _allocated), (Volatile.Read(ref _length) + PrefaultAhead + 4095) & ~4095L);
            if (to <= from) return;
        }
        if (Madvise((nint)(map + from), (nuint)(to - from), MadvPopulateWrite) != 0)
        {
            // An older kernel (EINVAL): the writer takes its faults, as before.
            if (Marshal.GetLastPInvokeError() == 22) _populateWorks = false;
            return;
        }
        lock (_sync)
            if (_map == map && to > _prefaulted) Volatile.Write(ref _prefaulted, to);
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

    /// <summary>Closes every file: the one being written and those waiting for the timer, each unmapped, cut to its
    /// length, fsynced; the directory fsynced if a file was created.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            RetireCurrent();
            var retired = _retired.ToArray();
            _retired.Clear();
            Finish(retired);
            foreach (var path in _deleting) System.IO.File.Delete(path);
            _deleting.Clear();
            if (_created) DirectorySync.Flush(_directory);
            _created = false;
        }
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
