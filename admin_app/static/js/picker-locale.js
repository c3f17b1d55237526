/* Date pickers and multi-value filters in the user's language.
 *
 * The page carries the locale's month and day names, first weekday and labels
 * (from Babel's CLDR data and our catalogue) in #picker-locale. Flask-Admin
 * starts its widgets when the page is ready, after this script has run, so
 * wrapping the two jQuery plugins here reaches every picker and select.
 */
(function () {
  "use strict";
  var source = document.getElementById("picker-locale");
  if (!source || !window.jQuery) { return; }
  var settings = JSON.parse(source.textContent);
  var $ = window.jQuery;

  var moment = window.moment;
  if (moment) {
    // English is built into moment: update it; Spanish is defined here.
    var known = moment.locales ? moment.locales().indexOf(settings.code) >= 0 : false;
    if (known && moment.updateLocale) {
      moment.updateLocale(settings.code, settings.moment);
    } else if (moment.defineLocale) {
      moment.defineLocale(settings.code, settings.moment);
    }
    moment.locale(settings.code);
  }

  var daterangepicker = $.fn.daterangepicker;
  if (daterangepicker) {
    $.fn.daterangepicker = function (options, callback) {
      options = $.extend({}, options, {locale: settings.labels});
      if (typeof options.separator === "string") {
        options.separator = settings.rangeSeparator;
      }
      return daterangepicker.call(this, options, callback);
    };
  }

  var select2 = $.fn.select2;
  if (select2) {
    var words = settings.select2;
    $.extend(select2.defaults, {
      formatNoMatches: function () { return words.noMatches; },
      formatSearching: function () { return words.searching; },
      formatLoadMore: function () { return words.loadMore; },
      formatAjaxError: function () { return words.loadFailed; },
      formatInputTooShort: function (input, min) {
        return words.typeMore.replace("{n}", min - input.length);
      }
    });
    // Flask-Admin's "any of" filters pass their own English hint; ours replaces it.
    // Where the filter lists its choices (outlets), only those can be picked: the
    // typed text is no choice of its own, so Enter picks the matching option.
    $.fn.select2 = function (options) {
      if (options && typeof options === "object" && options.tags) {
        var known = $.isArray(options.tags) && options.tags.length > 0;
        arguments[0] = $.extend({}, options, known ? {
          createSearchChoice: function () { return null; },
          formatNoMatches: function () { return words.noMatches; }
        } : {
          formatNoMatches: function () { return words.commaSeparated; }
        });
      }
      return select2.apply(this, arguments);
    };
    $.extend($.fn.select2, select2);
  }
})();
