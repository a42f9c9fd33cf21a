package io.chronik.log.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.chronik.log.LinkedFile;

/**
 * Links the files of a partition directory into a snapshot directory. Segment files are only ever appended to (cut
 * only while a log is recovered, and then only past its checkpoint) and the state files are replaced by rename, so a
 * hard link keeps the bytes a snapshot needs at no cost while the log goes on. Index files are left out: they are
 * rewritten in place, and opening a log rebuilds missing ones. Where the file system cannot link (another file system,
 * no hard links), the file is copied. Called with the log's write lock held; blocking file I/O.
 */
public final class SnapshotLinks {
    private SnapshotLinks() {
    }

    /** Links (or copies) every file of {@code dir} except indexes and temporary files into {@code target}. */
    public static List<LinkedFile> link(Path dir, Path target) throws IOException {
        Files.createDirectories(target);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.endsWith(".tmp") && !name.endsWith(Segment.INDEX_SUFFIX)
                        && !name.endsWith(Segment.TIME_INDEX_SUFFIX)) {
                    files.add(p);
                }
            }
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        List<LinkedFile> linked = new ArrayList<>(files.size());
        for (Path p : files) {
            String name = p.getFileName().toString();
            long size = Files.size(p);
            Path to = target.resolve(name);
            try {
                Files.createLink(to, p);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
            linked.add(new LinkedFile(name, size, Segment.parseBaseOffset(name, Segment.LOG_SUFFIX) >= 0));
        }
        return linked;
    }
}
