package io.netbuf.cli.log;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One named logger of {@link SyslogStyleProvider}: writes through the provider's current sink. */
final class SyslogStyleLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;

    private final transient SyslogStyleProvider provider;

    SyslogStyleLogger(String name, SyslogStyleProvider provider) {
        this.name = name;
        this.provider = provider;
    }

    @Override
    public boolean isTraceEnabled() {
        return provider.enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return provider.enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return provider.enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return provider.enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return provider.enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String messagePattern, Object[] arguments,
            Throwable throwable) {
        provider.write(level, name, MessageFormatter.basicArrayFormat(messagePattern, arguments), throwable);
    }
}
