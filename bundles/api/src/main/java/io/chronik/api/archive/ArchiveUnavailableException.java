package io.chronik.api.archive;

import java.io.IOException;

/**
 * The archive cannot serve the operation right now because a provider it needs (the configured object store,
 * or the codec a blob was written with) is not bound. Transient: the operation can be retried once the
 * provider bundle is started again.
 */
public class ArchiveUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    public ArchiveUnavailableException(String message) {
        super(message);
    }
}
